/**
 * Unit tests of the SDK's pure parts: backoff with full jitter, the outbox's batching rules,
 * server ↔ local position mapping, latency percentiles, and the tab message parser.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Doc, agentId } from '@tandem/core';
import { Backoff, resolveBackoff } from '../src/connection/backoff.js';
import { summarize } from '../src/metrics/latency-window.js';
import { Outbox } from '../src/sync/outbox.js';
import { mapPosition } from '../src/sync/position-map.js';
import { parseTabMessage } from '../src/tabs/tab-channel.js';
import { Rng, testSeed } from './support/random.js';

describe('backoff', () => {
  test('full jitter: delay n is uniform in [0, min(cap, base·2^n)), reset starts over', () => {
    const rng = new Rng(testSeed('backoff'));
    const b = new Backoff(resolveBackoff({ baseMs: 100, capMs: 1_000 }), () => rng.next());
    const ceilings = [100, 200, 400, 800, 1000, 1000, 1000];
    for (const ceiling of ceilings) {
      const d = b.next();
      assert.ok(d >= 0 && d < ceiling, `${d} in [0, ${ceiling})`);
    }
    assert.equal(b.attempts, ceilings.length);
    b.reset();
    assert.equal(b.attempts, 0);
    const top = new Backoff(resolveBackoff({ baseMs: 100, capMs: 1_000 }), () => 0.999999);
    for (let i = 0; i < 80; i++) assert.ok(top.next() < 1_000, 'never past the cap, even after many failures');
    assert.throws(() => resolveBackoff({ baseMs: 0 }), RangeError);
    assert.throws(() => resolveBackoff({ baseMs: 10, capMs: 5 }), RangeError);
    const limited = new Backoff(resolveBackoff({ maxAttempts: 2 }), Math.random);
    limited.next();
    limited.next();
    assert.ok(limited.exhausted);
  });
});

describe('outbox', () => {
  const doc = new Doc({ agent: agentId('me') });
  const events = Array.from({ length: 10 }, (_, i) => doc.insert('body', i, 'x')!);
  const limits = { maxEvents: 4, maxBytes: 1_000_000, tabGraceMs: 100 };

  test('batches are prefixes within the count limit; acks remove exactly the batch; requeue resends', () => {
    const box = new Outbox();
    for (const e of events) box.add(e, 'local', 0);
    assert.equal(box.add(events[0]!, 'local', 0), false, 'an event is held once');
    const first = box.takeBatch(limits, 0, 'op1');
    assert.equal(first.kind, 'batch');
    assert.deepEqual(first.kind === 'batch' ? first.entries.map((e) => e.event.id.seq) : [], [0, 1, 2, 3]);
    box.requeue();
    const again = box.takeBatch(limits, 0, 'op2');
    assert.deepEqual(again.kind === 'batch' ? again.entries.map((e) => e.event.id.seq) : [], [0, 1, 2, 3]);
    assert.deepEqual(box.acknowledge('op1').length, 0, 'a stale ack removes nothing');
    assert.equal(box.acknowledge('op2').length, 4);
    assert.equal(box.confirm([events[5]!, events[9]!]), 2, 'events echoed by the server are forgotten');
    assert.deepEqual(box.events().map((e) => e.id.seq), [4, 6, 7, 8]);
  });

  test('the byte limit cuts batches; an event too big for any message is reported', () => {
    const box = new Outbox();
    for (const e of events) box.add(e, 'local', 0);
    const [e0, e1] = box.all();
    const small = box.takeBatch({ ...limits, maxBytes: 1024 + (e0!.bytes + 1) + (e1!.bytes + 1) }, 0, 'op');
    assert.equal(small.kind === 'batch' ? small.entries.length : 0, 2);
    const tiny = new Outbox();
    tiny.add(events[0]!, 'local', 0);
    assert.equal(tiny.takeBatch({ ...limits, maxBytes: 1024 + 10 }, 0, 'op').kind, 'too_big');
  });

  test('another tab’s event waits out its grace unless an own event after it needs it', () => {
    const box = new Outbox();
    box.add(events[0]!, 'tab', 0);
    box.add(events[1]!, 'tab', 50);
    const early = box.takeBatch(limits, 10, 'op');
    assert.deepEqual(early, { kind: 'wait', retryAt: 100 });
    const due = box.takeBatch(limits, 120, 'op');
    assert.deepEqual(due.kind === 'batch' ? due.entries.map((e) => e.event.id.seq) : [], [0], 'only the due one');
    const withOwn = new Outbox();
    withOwn.add(events[0]!, 'tab', 0);
    withOwn.add(events[1]!, 'local', 0);
    const batch = withOwn.takeBatch(limits, 1, 'op');
    assert.deepEqual(batch.kind === 'batch' ? batch.entries.map((e) => e.event.id.seq) : [], [0, 1], 'its parent goes with it');
  });
});

describe('position mapping between server and local text', () => {
  test('positions before, inside and after a local edit', () => {
    const server = 'hello world';
    const local = 'hello big world';
    assert.equal(mapPosition(server, local, 0), 0);
    assert.equal(mapPosition(server, local, 6), 6);
    assert.equal(mapPosition(server, local, 7), 11);
    assert.equal(mapPosition(server, local, 11), 15);
    assert.equal(mapPosition(local, server, 15), 11);
    assert.equal(mapPosition(local, server, 8), 6, 'inside text the server lacks: clamped to where it starts');
    assert.equal(mapPosition('abc', 'abc', 2), 2);
    assert.equal(mapPosition('abc', '', 2), 0);
  });
});

describe('latency percentiles', () => {
  test('nearest rank', () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => i + 1));
    assert.deepEqual(s, { count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    assert.equal(summarize([]).p50, undefined);
  });
});

describe('tab messages', () => {
  test('well-formed messages parse; anything else is ignored', () => {
    const doc = new Doc({ agent: agentId('tab') });
    const e = doc.insert('body', 0, 'hi')!;
    assert.deepEqual(parseTabMessage({ kind: 'events', docId: 'd', from: 't', events: [e] }), { kind: 'events', docId: 'd', from: 't', events: [e] });
    assert.equal(parseTabMessage({ kind: 'events', docId: 'd', from: 't', events: [{ bogus: true }] }), undefined);
    assert.equal(parseTabMessage({ kind: 'teleport', docId: 'd', from: 't' }), undefined);
    assert.equal(parseTabMessage(null), undefined);
    const presence = { userId: 'u', name: 'U', color: '#fff', status: 'online', typing: false, custom: {}, cursor: { anchor: 1, head: 2 } };
    assert.deepEqual(parseTabMessage({ kind: 'presence', docId: 'd', from: 't', presence }), { kind: 'presence', docId: 'd', from: 't', presence });
    assert.equal(parseTabMessage({ kind: 'presence', docId: 'd', from: 't', presence: { ...presence, cursor: { anchor: -1, head: 0 } } }), undefined);
  });
});
