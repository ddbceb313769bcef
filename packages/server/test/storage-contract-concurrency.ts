/**
 * DocStore contract, several writers: two store instances on one database stand for two server
 * processes. Interleaved appends to one document must get unique, gap-free versions and lose
 * nothing; racing resends must be stored once; racing conflicting events must not both win.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CoreErrorCode, eventIdToString, isTandemError, type Event } from '@tandem/core';
import type { AppendResult, DocStore } from '../src/storage/doc-store.js';
import type { ContractContext } from './storage-contract.js';
import { textEvent, textRun, uniqueDoc, uniqueId } from './support/storage-fixtures.js';
import { withSeed, type SeededRandom } from './support/storage-random.js';

const WRITERS = 4;
const ROUNDS = 12;

/** Gives other pending work a chance to run, a random number of times, to vary interleavings. */
async function jitter(rng: SeededRandom): Promise<void> {
  const turns = rng.range(0, 2);
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Opens a second instance for the test and closes it afterwards, whatever happens. */
async function withSecondStore(ctx: ContractContext, body: (a: DocStore, b: DocStore) => Promise<void>): Promise<void> {
  const second = await ctx.open();
  try {
    await body(ctx.store(), second);
  } finally {
    await second.close();
  }
}

function range1(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

export function registerConcurrencyTests(ctx: ContractContext): void {
  describe('several writers', () => {
    test('interleaved appends from two instances get unique gap-free versions and lose nothing', async () => {
      await withSecondStore(ctx, (a, b) =>
        withSeed(async (rng) => {
          const doc = uniqueDoc();
          const sent = new Map<string, Event>();
          const acked: number[] = [];
          let resent = 0;
          let duplicates = 0;
          const writer = async (w: number): Promise<void> => {
            const store = w % 2 === 0 ? a : b;
            const agent = uniqueId(`w${w}`);
            let seq = 0;
            let previous: Event[] = [];
            for (let round = 0; round < ROUNDS; round++) {
              const fresh = textRun(agent, seq, rng.range(1, 4), `w${w}-`);
              seq += fresh.length;
              // Sometimes the previous ack "was lost" and its events are sent again first.
              const batch = rng.bool(0.25) ? [...previous, ...fresh] : fresh;
              if (batch.length > fresh.length) resent += previous.length;
              for (const e of fresh) sent.set(eventIdToString(e.id), e);
              await jitter(rng);
              const result: AppendResult = await store.appendEvents(doc, batch);
              acked.push(...result.stored.map((s) => s.version));
              duplicates += result.duplicates;
              previous = fresh;
            }
          };
          await Promise.all(range1(WRITERS).map(writer));

          const total = sent.size;
          assert.deepEqual([...acked].sort((x, y) => x - y), range1(total), 'acknowledged versions are not 1..n exactly once');
          assert.equal(duplicates, resent);
          const log = await b.loadEvents(doc, 0);
          assert.deepEqual(log.map((s) => s.version), range1(total));
          assert.equal(await a.head(doc), total);
          const lastSeq = new Map<string, number>();
          for (const { event } of log) {
            assert.deepEqual(event, sent.get(eventIdToString(event.id)), `event ${eventIdToString(event.id)} changed or was never sent`);
            // Each writer appends in order, so its events must appear in seq order.
            const before = lastSeq.get(event.id.agent) ?? -1;
            assert.equal(event.id.seq, before + 1, `agent ${event.id.agent} out of order`);
            lastSeq.set(event.id.agent, event.id.seq);
          }
        }),
      );
    });

    test('the same batch sent at once through two instances is stored once', async () => {
      await withSecondStore(ctx, async (a, b) => {
        const doc = uniqueDoc();
        const agent = uniqueId('agent');
        for (let round = 0; round < 5; round++) {
          const batch = textRun(agent, round * 3, 3);
          const results = await Promise.all([a.appendEvents(doc, batch), b.appendEvents(doc, batch)]);
          assert.equal(results.reduce((n, r) => n + r.stored.length, 0), 3);
          assert.equal(results.reduce((n, r) => n + r.duplicates, 0), 3);
        }
        assert.equal(await a.head(doc), 15);
        assert.equal((await b.loadEvents(doc, 0)).length, 15);
      });
    });

    test('two different events under one id raced through two instances: one wins, one is rejected', async () => {
      await withSecondStore(ctx, async (a, b) => {
        for (let round = 0; round < 5; round++) {
          const doc = uniqueDoc();
          const agent = uniqueId('agent');
          const settled = await Promise.allSettled([
            a.appendEvents(doc, [textEvent(agent, 0, 'from a')]),
            b.appendEvents(doc, [textEvent(agent, 0, 'from b')]),
          ]);
          const won = settled.filter((s) => s.status === 'fulfilled');
          const lost = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
          assert.equal(won.length, 1);
          assert.equal(lost.length, 1);
          assert.ok(isTandemError(lost[0]?.reason, CoreErrorCode.ConflictingEvent), String(lost[0]?.reason));
          const log = await a.loadEvents(doc, 0);
          assert.equal(log.length, 1);
          assert.equal(log[0]?.version, 1);
        }
      });
    });

    test('an instance sees what another appended and continues its versions', async () => {
      await withSecondStore(ctx, async (a, b) => {
        const doc = uniqueDoc();
        const agent = uniqueId('agent');
        await a.appendEvents(doc, textRun(agent, 0, 2));
        assert.equal(await b.head(doc), 2);
        const r = await b.appendEvents(doc, textRun(agent, 0, 3));
        assert.deepEqual({ stored: r.stored.map((s) => s.version), duplicates: r.duplicates }, { stored: [3], duplicates: 2 });
        assert.deepEqual((await a.loadEvents(doc, 0)).map((s) => s.version), [1, 2, 3]);
      });
    });
  });
}
