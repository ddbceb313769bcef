/**
 * DocStore contract, writes issued together: appends to many documents (and other writes) started
 * in the same turn, which a store may commit in one transaction (SQLite does: cross-document group
 * commit). Each append stays all or nothing and gap-free per document; one document's failing
 * append fails alone; each resolves only with what is stored, as a later read shows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CoreErrorCode, isTandemError, type DocId, type Event } from '@tandem/core';
import type { AppendResult } from '../src/storage/doc-store.js';
import type { ContractContext } from './storage-contract.js';
import { textEvent, textRun, uniqueDoc, uniqueId } from './support/storage-fixtures.js';
import { withSeed } from './support/storage-random.js';

function isConflict(e: unknown): boolean {
  return isTandemError(e) && e.code === CoreErrorCode.ConflictingEvent;
}

/** The ids of the stored log, in version order, after checking the versions are 1..n. */
async function storedIds(ctx: ContractContext, doc: DocId): Promise<string[]> {
  const rows = await ctx.store().loadEvents(doc, 0);
  rows.forEach((r, i) => assert.equal(r.version, i + 1, `versions of ${doc} are gap-free`));
  assert.equal(await ctx.store().head(doc), rows.length);
  return rows.map((r) => `${r.event.id.agent}:${r.event.id.seq}`);
}

const ids = (events: readonly Event[]): string[] => events.map((e) => `${e.id.agent}:${e.id.seq}`);

export function registerBatchingTests(ctx: ContractContext): void {
  describe('writes issued together', () => {
    test('appends to 50 documents started at once all commit, each gap-free from 1', async () => {
      const docs = Array.from({ length: 50 }, () => uniqueDoc('batch'));
      const sent = docs.map((_, i) => textRun(uniqueId(`a${i}`), 0, 1 + (i % 4)));
      const results = await Promise.all(docs.map((d, i) => ctx.store().appendEvents(d, sent[i]!)));
      for (const [i, r] of results.entries()) {
        assert.deepEqual(r.stored.map((s) => s.version), sent[i]!.map((_, k) => k + 1));
        assert.equal(r.head, sent[i]!.length);
        assert.deepEqual(await storedIds(ctx, docs[i]!), ids(sent[i]!));
      }
    });

    test('one document\'s conflicting append fails alone and stores nothing; the others of the same turn commit', async () => {
      const [a, b, c] = [uniqueDoc('ok-a'), uniqueDoc('bad'), uniqueDoc('ok-c')];
      const agent = uniqueId('conflicter');
      await ctx.store().appendEvents(b, [textEvent(agent, 0, 'first')]);
      const fresh = textEvent(agent, 1, 'fresh');
      const clash = textEvent(agent, 0, 'other payload');
      const aEvents = textRun(uniqueId('a'), 0, 3);
      const cEvents = textRun(uniqueId('c'), 0, 2);
      const settled = await Promise.allSettled([
        ctx.store().appendEvents(a, aEvents),
        ctx.store().appendEvents(b, [fresh, clash]),
        ctx.store().appendEvents(c, cEvents),
      ]);
      assert.equal(settled[0].status, 'fulfilled');
      assert.equal(settled[1].status, 'rejected');
      assert.ok(isConflict((settled[1] as PromiseRejectedResult).reason), String((settled[1] as PromiseRejectedResult).reason));
      assert.equal(settled[2].status, 'fulfilled');
      assert.deepEqual(await storedIds(ctx, a), ids(aEvents));
      assert.deepEqual(await storedIds(ctx, b), [`${agent}:0`], 'the fresh event of the refused append is not stored');
      assert.deepEqual(await storedIds(ctx, c), ids(cEvents));
    });

    test('several appends to one document started at once each get a contiguous run of versions', async () => {
      const doc = uniqueDoc('same');
      const batches = [1, 2, 3].map((n) => textRun(uniqueId('p'), 0, n));
      const results = await Promise.all(batches.map((b) => ctx.store().appendEvents(doc, b)));
      const log = await storedIds(ctx, doc);
      assert.equal(log.length, 6);
      for (const [i, r] of results.entries()) {
        const versions = r.stored.map((x) => x.version);
        assert.deepEqual(versions, versions.map((_, k) => versions[0]! + k), 'contiguous');
        assert.deepEqual(versions.map((v) => log[v - 1]), ids(batches[i]!), 'stored where the result says');
      }
    });

    test('other writes of the same turn commit with the appends, and a refused one fails alone', async () => {
      const doc = uniqueDoc('mixed');
      const agent = uniqueId('m');
      const token = uniqueId('tok');
      await ctx.store().createShareLink(doc, { token, level: 'viewer', expiresAt: null, createdBy: 'alice' });
      const settled = await Promise.allSettled([
        ctx.store().createDocument(doc, 'alice'),
        ctx.store().appendEvents(doc, textRun(agent, 0, 2)),
        ctx.store().bindAgent(doc, agent, 'alice'),
        ctx.store().createShareLink(doc, { token, level: 'editor', expiresAt: null, createdBy: 'alice' }),
        ctx.store().addCheckpoint(doc, { version: 2, createdAt: 1000, authors: ['alice'] }),
        ctx.store().saveSnapshot(doc, { version: 2, bytes: new Uint8Array([1, 2, 3]) }),
      ]);
      assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      assert.equal((await ctx.store().getDocument(doc))?.owner, 'alice');
      assert.equal(await ctx.store().getPermission(doc, 'alice'), 'owner');
      assert.equal(await ctx.store().head(doc), 2);
      assert.equal(await ctx.store().bindAgent(doc, agent, 'bob'), 'alice');
      assert.equal((await ctx.store().getShareLink(token))?.level, 'viewer', 'the duplicate token changed nothing');
      assert.deepEqual((await ctx.store().listCheckpoints(doc)).map((c) => c.version), [2]);
      assert.equal((await ctx.store().loadSnapshot(doc))?.version, 2);
    });

    test('random bursts over many documents: each log is exactly the accepted appends, where they were told (seeded)', async () => {
      await withSeed(async (rng) => {
        const docs = Array.from({ length: 8 }, () => uniqueDoc('burst'));
        const expected = new Map<DocId, string[]>(docs.map((d) => [d, []]));
        const told = new Map<string, { doc: DocId; version: number }>();
        const writers = docs.flatMap((d) => [0, 1, 2].map((w) => ({ doc: d, agent: uniqueId(`w${w}`), seq: 0, last: undefined as Event | undefined })));
        for (let round = 0; round < 12; round++) {
          // Each writer at most once per burst: appends started together have no defined order.
          const burst = writers.filter(() => rng.bool(0.4));
          const calls = burst.map((w) => {
            const fresh = textRun(w.agent, w.seq, rng.range(1, 3), `r${round}-`);
            // A resend of the writer's last stored event (a duplicate), or a clash with it (a conflict).
            const resend = w.last !== undefined && rng.bool(0.2);
            const conflicting = w.last !== undefined && !resend && rng.bool(0.15);
            let events = fresh;
            if (resend) events = [w.last!, ...fresh];
            if (conflicting) events = [...fresh, textEvent(w.agent, w.last!.id.seq, 'clash')];
            if (!conflicting) {
              w.seq += fresh.length;
              w.last = fresh[fresh.length - 1];
            }
            return { doc: w.doc, fresh, conflicting, resend, promise: ctx.store().appendEvents(w.doc, events) };
          });
          const settled = await Promise.allSettled(calls.map((c) => c.promise));
          for (const [i, s] of settled.entries()) {
            const call = calls[i]!;
            if (call.conflicting) {
              assert.equal(s.status, 'rejected', `round ${round} call ${i} conflicts`);
              assert.ok(isConflict((s as PromiseRejectedResult).reason));
              continue;
            }
            assert.equal(s.status, 'fulfilled', `round ${round} call ${i}: ${s.status === 'rejected' ? String(s.reason) : ''}`);
            const r = (s as PromiseFulfilledResult<AppendResult>).value;
            assert.equal(r.duplicates, call.resend ? 1 : 0);
            assert.deepEqual(ids(r.stored.map((x) => x.event)), ids(call.fresh));
            for (const x of r.stored) told.set(ids([x.event])[0]!, { doc: call.doc, version: x.version });
            expected.get(call.doc)!.push(...ids(call.fresh));
          }
        }
        for (const d of docs) {
          const log = await storedIds(ctx, d);
          assert.deepEqual([...log].sort(), [...expected.get(d)!].sort());
          log.forEach((id, i) => assert.deepEqual(told.get(id), { doc: d, version: i + 1 }));
        }
      });
    });
  });
}
