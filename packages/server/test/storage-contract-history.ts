/**
 * DocStore contract, history: agent bindings (first binder wins, also between two instances racing)
 * and automatic checkpoints (kept as first written, listed by version, authors normalized).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { docId } from '@tandem/core';
import type { ContractContext } from './storage-contract.js';
import { HOSTILE_IDS, uniqueDoc, uniqueId } from './support/storage-fixtures.js';

const invalidArgument = { code: 'ERR_INVALID_ARGUMENT' };

export function registerHistoryTests(ctx: ContractContext): void {
  describe('agent bindings', () => {
    test('the first user to bind an agent keeps it; later binders learn who holds it', async () => {
      const doc = uniqueDoc();
      const [ann, bob] = [uniqueId('ann'), uniqueId('bob')];
      assert.equal(await ctx.store().bindAgent(doc, 'agent-1', ann), ann);
      assert.equal(await ctx.store().bindAgent(doc, 'agent-1', ann), ann);
      assert.equal(await ctx.store().bindAgent(doc, 'agent-1', bob), ann);
      assert.equal(await ctx.store().bindAgent(doc, 'agent-2', bob), bob);
      // Server-made agents start with U+FFFF; they must round-trip like any other id.
      assert.equal(await ctx.store().bindAgent(doc, '\uffffsrv:x', 'server'), 'server');
      assert.deepEqual(await ctx.store().agentBindings(doc), [
        { agent: 'agent-1', user: ann },
        { agent: 'agent-2', user: bob },
        { agent: '\uffffsrv:x', user: 'server' },
      ]);
      // Bindings are per document: the same agent id elsewhere is free.
      const other = uniqueDoc();
      assert.equal(await ctx.store().bindAgent(other, 'agent-1', bob), bob);
      assert.deepEqual(await ctx.store().agentBindings(uniqueDoc()), []);
    });

    test('two instances binding the same agent at once agree on one winner', async () => {
      const second = await ctx.open();
      try {
        for (let round = 0; round < 10; round++) {
          const doc = uniqueDoc();
          const [a, b] = [uniqueId('a'), uniqueId('b')];
          const [ra, rb] = await Promise.all([ctx.store().bindAgent(doc, 'shared', a), second.bindAgent(doc, 'shared', b)]);
          assert.equal(ra, rb);
          assert.ok(ra === a || ra === b);
          assert.deepEqual(await second.agentBindings(doc), [{ agent: 'shared', user: ra }]);
        }
      } finally {
        await second.close();
      }
    });

    test('hostile and unstorable ids', async () => {
      const doc = uniqueDoc();
      for (const raw of HOSTILE_IDS) assert.equal(await ctx.store().bindAgent(doc, raw, raw), raw);
      assert.equal((await ctx.store().agentBindings(doc)).length, HOSTILE_IDS.length);
      await assert.rejects(ctx.store().bindAgent(doc, '', 'u'), invalidArgument);
      await assert.rejects(ctx.store().bindAgent(doc, 'a', 'lone\ud800'), invalidArgument);
      await assert.rejects(ctx.store().bindAgent(doc, 'nul\u0000', 'u'), invalidArgument);
    });
  });

  describe('checkpoints', () => {
    test('checkpoints are listed by version with sorted, unique authors; the first at a version is kept', async () => {
      const doc = uniqueDoc();
      await ctx.store().addCheckpoint(doc, { version: 40, createdAt: 2000, authors: ['zoe', 'ann', 'zoe'] });
      await ctx.store().addCheckpoint(doc, { version: 10, createdAt: 1000, authors: [] });
      await ctx.store().addCheckpoint(doc, { version: 40, createdAt: 3000, authors: ['mallory'] });
      assert.deepEqual(await ctx.store().listCheckpoints(doc), [
        { version: 10, createdAt: 1000, authors: [] },
        { version: 40, createdAt: 2000, authors: ['ann', 'zoe'] },
      ]);
      assert.deepEqual(await ctx.store().listCheckpoints(uniqueDoc()), []);
    });

    test('bad checkpoints are refused and store nothing', async () => {
      const doc = uniqueDoc();
      await assert.rejects(ctx.store().addCheckpoint(doc, { version: -1, createdAt: 1, authors: [] }), invalidArgument);
      await assert.rejects(ctx.store().addCheckpoint(doc, { version: 1, createdAt: 1.5, authors: [] }), invalidArgument);
      await assert.rejects(ctx.store().addCheckpoint(doc, { version: 1, createdAt: 1, authors: ['ok', ''] }), invalidArgument);
      await assert.rejects(ctx.store().addCheckpoint(doc, { version: 1, createdAt: 1, authors: 'ann' as unknown as string[] }), invalidArgument);
      assert.deepEqual(await ctx.store().listCheckpoints(doc), []);
    });

    test('"__proto__" works as an author and as a document id', async () => {
      const doc = docId('__proto__');
      await ctx.store().addCheckpoint(doc, { version: 1, createdAt: 1, authors: ['__proto__', 'constructor'] });
      assert.deepEqual((await ctx.store().listCheckpoints(doc))[0]?.authors, ['__proto__', 'constructor']);
      assert.equal(({} as Record<string, unknown>)['constructor'], Object);
    });
  });
}
