/**
 * DocStore contract, event log: appending and loading, gap-free versions, dedupe of resent
 * events, rejection of a different payload under a stored id (all or nothing), paging, and exact
 * round trips of large and non-ASCII events.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CoreErrorCode, isTandemError, type Event, type JsonValue } from '@tandem/core';
import type { ContractContext } from './storage-contract.js';
import { eventId, mapSetEvent, textEvent, textRun, uniqueDoc, uniqueId } from './support/storage-fixtures.js';

function isConflict(e: unknown): boolean {
  return isTandemError(e, CoreErrorCode.ConflictingEvent);
}

export function registerEventLogTests(ctx: ContractContext): void {
  describe('event log', () => {
    test('an unknown document has head 0 and no events', async () => {
      const doc = uniqueDoc();
      assert.equal(await ctx.store().head(doc), 0);
      assert.deepEqual(await ctx.store().loadEvents(doc, 0), []);
    });

    test('appended events load back in order with versions 1, 2, 3…', async () => {
      const doc = uniqueDoc();
      const a = uniqueId('agent');
      const events = textRun(a, 0, 5);
      const result = await ctx.store().appendEvents(doc, events);
      assert.equal(result.duplicates, 0);
      assert.equal(result.head, 5);
      assert.deepEqual(result.stored, events.map((event, i) => ({ version: i + 1, event })));
      assert.deepEqual(await ctx.store().loadEvents(doc, 0), result.stored);
      assert.equal(await ctx.store().head(doc), 5);
    });

    test('versions continue without gaps across appends and agents', async () => {
      const doc = uniqueDoc();
      const a = uniqueId('agent');
      const b = uniqueId('agent');
      const r1 = await ctx.store().appendEvents(doc, textRun(a, 0, 2));
      const r2 = await ctx.store().appendEvents(doc, [textEvent(b, 0, 'b0', [eventId(a, 1)])]);
      const r3 = await ctx.store().appendEvents(doc, textRun(a, 2, 3));
      assert.deepEqual([...r1.stored, ...r2.stored, ...r3.stored].map((s) => s.version), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual((await ctx.store().loadEvents(doc, 0)).map((s) => s.version), [1, 2, 3, 4, 5, 6]);
    });

    test('each document has its own versions', async () => {
      const d1 = uniqueDoc();
      const d2 = uniqueDoc();
      const a = uniqueId('agent');
      await ctx.store().appendEvents(d1, textRun(a, 0, 3));
      // The same event id in another document is a different event.
      const r = await ctx.store().appendEvents(d2, textRun(a, 0, 2));
      assert.deepEqual(r.stored.map((s) => s.version), [1, 2]);
      assert.equal(await ctx.store().head(d1), 3);
      assert.equal(await ctx.store().head(d2), 2);
    });

    test('an empty append stores nothing and reports the head', async () => {
      const doc = uniqueDoc();
      assert.deepEqual(await ctx.store().appendEvents(doc, []), { stored: [], duplicates: 0, head: 0 });
      await ctx.store().appendEvents(doc, textRun(uniqueId('agent'), 0, 2));
      assert.deepEqual(await ctx.store().appendEvents(doc, []), { stored: [], duplicates: 0, head: 2 });
    });

    test('a resent event with the same payload is a duplicate, stored once', async () => {
      const doc = uniqueDoc();
      const a = uniqueId('agent');
      const events = textRun(a, 0, 3);
      await ctx.store().appendEvents(doc, events);
      // The ack was lost: the client resends everything plus one new event.
      const resend = await ctx.store().appendEvents(doc, [...events, textEvent(a, 3, 'new')]);
      assert.equal(resend.duplicates, 3);
      assert.deepEqual(resend.stored, [{ version: 4, event: textEvent(a, 3, 'new') }]);
      assert.equal(resend.head, 4);
      const again = await ctx.store().appendEvents(doc, events);
      assert.deepEqual(again, { stored: [], duplicates: 3, head: 4 });
      assert.equal((await ctx.store().loadEvents(doc, 0)).length, 4);
    });

    test('an id repeated inside one batch with the same payload is stored once', async () => {
      const doc = uniqueDoc();
      const e = textEvent(uniqueId('agent'), 0, 'once');
      const r = await ctx.store().appendEvents(doc, [e, e]);
      assert.equal(r.stored.length, 1);
      assert.equal(r.duplicates, 1);
      assert.equal(await ctx.store().head(doc), 1);
    });

    test('a payload differing only in incidental form (key order, parent order) is a duplicate', async () => {
      const doc = uniqueDoc();
      const a = uniqueId('a');
      const b = uniqueId('b');
      await ctx.store().appendEvents(doc, [textEvent(a, 0, 'a'), textEvent(b, 0, 'b')]);
      const merge = textEvent(a, 1, 'm', [eventId(a, 0), eventId(b, 0)]);
      await ctx.store().appendEvents(doc, [merge]);
      const reordered: Event = {
        change: { op: [{ content: 'm', type: 'insert' }], name: 'body', type: 'text' },
        parents: [eventId(b, 0), eventId(a, 0)],
        id: { seq: 1, agent: merge.id.agent },
      } as unknown as Event;
      assert.deepEqual(await ctx.store().appendEvents(doc, [reordered]), { stored: [], duplicates: 1, head: 3 });
    });

    test('a different payload under a stored id is rejected and nothing of its batch is stored', async () => {
      const doc = uniqueDoc();
      const a = uniqueId('agent');
      const b = uniqueId('agent');
      await ctx.store().appendEvents(doc, textRun(a, 0, 2));
      const batch = [textEvent(b, 0, 'fine'), textEvent(a, 2, 'fine too'), textEvent(a, 1, 'DIFFERENT')];
      await assert.rejects(ctx.store().appendEvents(doc, batch), isConflict);
      assert.equal(await ctx.store().head(doc), 2);
      assert.deepEqual(await ctx.store().loadEvents(doc, 0), textRun(a, 0, 2).map((event, i) => ({ version: i + 1, event })));
      // The same new events succeed afterwards, at the next versions: the failure left no gap.
      const ok = await ctx.store().appendEvents(doc, batch.slice(0, 2));
      assert.deepEqual(ok.stored.map((s) => s.version), [3, 4]);
    });

    test('a different parents list is a different payload', async () => {
      const doc = uniqueDoc();
      const a = uniqueId('a');
      const b = uniqueId('b');
      await ctx.store().appendEvents(doc, [textEvent(a, 0, 'a'), textEvent(b, 0, 'b'), textEvent(a, 1, 'x', [eventId(a, 0)])]);
      await assert.rejects(ctx.store().appendEvents(doc, [textEvent(a, 1, 'x', [eventId(a, 0), eventId(b, 0)])]), isConflict);
    });

    test('an id repeated inside one batch with different payloads fails the whole batch', async () => {
      const doc = uniqueDoc();
      const a = uniqueId('agent');
      await assert.rejects(ctx.store().appendEvents(doc, [textEvent(a, 0, 'one'), textEvent(a, 1, 'x'), textEvent(a, 0, 'two')]), isConflict);
      assert.equal(await ctx.store().head(doc), 0);
      assert.deepEqual(await ctx.store().loadEvents(doc, 0), []);
    });

    test('a malformed event is rejected with ERR_INVALID_EVENT and nothing is stored', async () => {
      const doc = uniqueDoc();
      const a = uniqueId('agent');
      const bad = { id: eventId(a, 1), parents: [], change: { type: 'text', name: 'body', op: 'not an op' } } as unknown as Event;
      await assert.rejects(ctx.store().appendEvents(doc, [textEvent(a, 0, 'ok'), bad]), (e: unknown) => isTandemError(e));
      const selfParent = textEvent(a, 0, 'x', [eventId(a, 0)]);
      await assert.rejects(ctx.store().appendEvents(doc, [selfParent]), (e: unknown) => isTandemError(e, CoreErrorCode.InvalidEvent));
      assert.equal(await ctx.store().head(doc), 0);
    });

    test('loadEvents returns the events after a version, at most limit of them', async () => {
      const doc = uniqueDoc();
      const events = textRun(uniqueId('agent'), 0, 10);
      await ctx.store().appendEvents(doc, events);
      const versions = async (after: number, limit?: number) => (await ctx.store().loadEvents(doc, after, limit)).map((s) => s.version);
      assert.deepEqual(await versions(0, 3), [1, 2, 3]);
      assert.deepEqual(await versions(3, 3), [4, 5, 6]);
      assert.deepEqual(await versions(8), [9, 10]);
      assert.deepEqual(await versions(8, 100), [9, 10]);
      assert.deepEqual(await versions(10), []);
      assert.deepEqual(await versions(50), []);
      assert.deepEqual((await ctx.store().loadEvents(doc, 4, 1))[0]?.event, events[4]);
    });

    test('loadEvents refuses a negative version or a zero limit', async () => {
      const doc = uniqueDoc();
      await assert.rejects(ctx.store().loadEvents(doc, -1), { code: 'ERR_INVALID_ARGUMENT' });
      await assert.rejects(ctx.store().loadEvents(doc, 0, 0), { code: 'ERR_INVALID_ARGUMENT' });
      await assert.rejects(ctx.store().loadEvents(doc, 1.5), { code: 'ERR_INVALID_ARGUMENT' });
    });

    test('a large event (a 100 KB insert) round-trips exactly', async () => {
      const doc = uniqueDoc();
      let content = '';
      for (let i = 0; content.length < 100_000; i++) content += `line ${i}: the quick brown fox ✓ 😀\n`;
      const big = textEvent(uniqueId('agent'), 0, content);
      await ctx.store().appendEvents(doc, [big]);
      const [back] = await ctx.store().loadEvents(doc, 0);
      assert.deepEqual(back?.event, big);
      // Resending the large event is still recognized as a duplicate.
      assert.equal((await ctx.store().appendEvents(doc, [big])).duplicates, 1);
    });

    test('unicode and emoji round-trip exactly, in content, map keys and values, ids', async () => {
      const doc = uniqueDoc('文書📄');
      const agent = uniqueId('ägënt🧑‍💻');
      const text = 'héllo wörld — 日本語 👩‍👩‍👧 🏳️‍🌈 𝄞 \u200d\ufeff "quotes" \\ back\nslash\t\u0001';
      const events: Event[] = [
        textEvent(agent, 0, text),
        mapSetEvent(agent, 1, 'ключ🔑', { emoji: '🎉', nested: ['ü', 'ñ', { '': '\u2028\u2029' }], n: -0.5 }),
      ];
      await ctx.store().appendEvents(doc, events);
      const back = await ctx.store().loadEvents(doc, 0);
      assert.deepEqual(back.map((s) => s.event), events);
      const first = back[0]?.event.change;
      assert.ok(first?.type === 'text' && first.op[0]?.type === 'insert' && first.op[0].content === text);
    });

    test('map values with "__proto__" and "constructor" keys are stored as plain data', async () => {
      const doc = uniqueDoc();
      const value = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}') as JsonValue;
      const e = mapSetEvent(uniqueId('agent'), 0, '__proto__', value);
      await ctx.store().appendEvents(doc, [e]);
      const [back] = await ctx.store().loadEvents(doc, 0);
      assert.deepEqual(back?.event, e);
      const change = back?.event.change;
      assert.ok(change?.type === 'map_set');
      assert.ok(Object.prototype.hasOwnProperty.call(change.value, '__proto__'));
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
      assert.equal(Object.getPrototypeOf(change.value), Object.prototype);
    });
  });
}
