/**
 * The peer-to-peer wire formats take anything without throwing: seeded random values and
 * mutations of valid messages parse to a message or to undefined, never to an exception; valid
 * messages survive encoding. And over a live link, garbage frames are dropped and counted while
 * the link and the sync carry on.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Doc } from '@tandem/core';
import { encodeMessage, encodeSignal, parseMessage, parseSignal, type PeerMessage, type PeerSignal } from '../src/p2p/peer-wire.js';
import { makeClient } from './support/clients.js';
import { CuttablePeers, testP2P } from './support/p2p.js';
import { waitConverged, waitForMesh } from './support/p2p-scenario.js';
import { Rng, testSeed } from './support/random.js';
import { TestServer } from './support/test-server.js';
import { waitUntil } from './support/wait.js';

const VALID_MESSAGES: PeerMessage[] = [
  { k: 'hi', agent: 'agent-1' },
  { k: 'ev', events: [new Doc({ agent: 'a' }).insert('body', 0, 'x')!] },
  { k: 'pr', seq: 3, presence: { userId: 'u', name: 'U', color: '#123456', status: 'online', typing: false, custom: {}, cursor: { anchor: 1, head: 2 } } },
  { k: 'pr', seq: 4, presence: null },
  { k: 'ping', t: 12.5 },
  { k: 'pong', t: 99 },
];
const VALID_SIGNALS: PeerSignal[] = [
  { kind: 'hello', reply: false },
  { kind: 'hello', reply: true },
  { kind: 'offer', link: 'l1', sdp: 'v=0' },
  { kind: 'answer', link: 'l1', sdp: 'v=0' },
  { kind: 'candidate', link: 'l1', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
  { kind: 'bye' },
];

function randomValue(rng: Rng, depth: number): unknown {
  switch (rng.int(depth > 3 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return rng.bool();
    case 2:
      return rng.pick([0, -1, 1e308, Number.NaN, 3.5, 2 ** 53]);
    case 3:
      return rng.pick(['', 'k', 'ev', 'hi', 'pr', 'ping', 'tandem-p2p', 'offer', 'x'.repeat(rng.int(300))]);
    case 4:
      return undefined;
    case 5:
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(5); i > 0; i--) o[rng.pick(['k', 'kind', 'tag', 'events', 'agent', 'seq', 'presence', 't', 'link', 'sdp', 'candidate', 'reply', 'zz'])] = randomValue(rng, depth + 1);
      return o;
    }
  }
}

/** `value` with one field somewhere replaced by a random value. */
function mutate(rng: Rng, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return randomValue(rng, 0);
  const copy: Record<string, unknown> = Array.isArray(value) ? { ...value } : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0) return randomValue(rng, 0);
  const key = rng.pick(keys);
  copy[key] = rng.bool() ? mutate(rng, copy[key]) : randomValue(rng, 1);
  return Array.isArray(value) ? Object.values(copy) : copy;
}

describe('p2p wire formats', () => {
  test('valid messages and signals survive a round trip', () => {
    for (const m of VALID_MESSAGES) assert.deepEqual(parseMessage(encodeMessage(m), 1 << 20), m);
    for (const s of VALID_SIGNALS) assert.deepEqual(parseSignal(JSON.parse(JSON.stringify(encodeSignal(s)))), s);
    assert.equal(parseSignal({ kind: 'hello' }), undefined, 'untagged signals are not ours');
    assert.equal(parseMessage(encodeMessage(VALID_MESSAGES[1]!), 10), undefined, 'too big');
  });

  test('seeded random and mutated input never throws', () => {
    const rng = new Rng(testSeed('p2p wire fuzz'));
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const base = rng.bool(0.5) ? rng.pick<unknown>(VALID_MESSAGES) : rng.pick<unknown>(VALID_SIGNALS.map((s) => encodeSignal(s)));
      const value = rng.bool(0.3) ? randomValue(rng, 0) : mutate(rng, base);
      const frame = rng.bool(0.1) ? JSON.stringify(value)?.slice(0, rng.int(40)) : JSON.stringify(value);
      const m = parseMessage(frame, 1 << 16);
      const s = parseSignal(value);
      parseMessage(value, 1 << 16);
      parseMessage(new TextEncoder().encode(frame ?? ''), 1 << 16);
      if (m !== undefined || s !== undefined) accepted++;
    }
    // Mutations leave many messages valid: the parsers are exercised on both sides of the line.
    assert.ok(accepted > 100, `accepted ${accepted}`);
  });
});

describe('p2p: garbage over a live link', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(async () => {
    await server.stop();
  });

  test('frames that are not messages are dropped and counted; the link and the sync carry on', { timeout: 60_000 }, async () => {
    const rng = new Rng(testSeed('p2p garbage frames'));
    const peers = new CuttablePeers();
    const docId = 'p2p-garbage';
    await server.share(docId, 'ann', ['ann', 'bob']);
    const ann = makeClient(server.url, 'ann', { p2p: testP2P(peers.factory), random: rng.fork() });
    const bob = makeClient(server.url, 'bob', { p2p: testP2P(peers.factory), random: rng.fork() });
    try {
      const a = await ann.open(docId);
      const b = await bob.open(docId);
      await waitForMesh([ann, bob]);
      // (No empty frame: werift stalls the channel after one, which the silence deadline would
      // then turn into a fallback — a different test.)
      const garbage = ['not json', '[]', '{"k":"ev","events":[{"id":1}]}', '{"k":"pr","seq":-1,"presence":null}', '{"k":"hi"}', JSON.stringify({ k: 'ping', t: 'x' }), '{"k":"zz"}'];
      let sent = 0;
      for (const g of garbage) sent += peers.sendRaw(g);
      assert.ok(sent >= garbage.length * 2, 'both ends got every frame');
      await waitUntil('both counted every bad frame', () => ann.metrics.p2p.invalid >= garbage.length && bob.metrics.p2p.invalid >= garbage.length, {
        describe: () => `${ann.metrics.p2p.invalid} / ${bob.metrics.p2p.invalid}`,
      });
      assert.equal(ann.metrics.p2p.peers[0]!.invalid, ann.metrics.p2p.invalid, 'charged to the peer that sent them');
      const before = bob.metrics.p2p.eventsViaP2P;
      a.text().insert(0, 'still fine');
      await waitConverged(server, docId, [a, b]);
      assert.equal(bob.metrics.p2p.eventsViaP2P, before + 1, 'the link still carries events');
      assert.equal(bob.metrics.p2p.peers[0]!.transport, 'p2p');
    } finally {
      await Promise.all([ann.close(), bob.close()]);
    }
  });
});
