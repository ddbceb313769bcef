/**
 * Fallback from the peer-to-peer path to the server: two clients type a stream of unique tokens
 * while their data channels are cut mid-stream — first silently (every frame dropped, the links
 * still look open until the silence deadline), then loudly (channels closed). Traffic goes through
 * the server meanwhile, the links are retried and reopen, and in the end every token is in every
 * replica and on the server exactly once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TandemClient, TandemDocument } from '../src/index.js';
import { makeClient } from './support/clients.js';
import { CuttablePeers, testP2P } from './support/p2p.js';
import { serverErrors, waitConverged, waitForMesh } from './support/p2p-scenario.js';
import { Rng, testSeed } from './support/random.js';
import { TestServer } from './support/test-server.js';
import { pause, waitUntil } from './support/wait.js';

let server: TestServer;
before(async () => {
  server = await TestServer.start();
});
after(async () => {
  await server.stop();
});

describe('p2p: fallback to the server', () => {
  test('cutting the P2P path mid-stream loses and duplicates nothing; links come back', { timeout: 120_000 }, async () => {
    const rng = new Rng(testSeed('p2p fallback'));
    const peers = new CuttablePeers();
    const docId = 'p2p-fallback';
    await server.share(docId, 'ann', ['ann', 'bob']);
    const missingBefore = await serverErrors(server, 'MISSING_PARENTS');
    const p2p = testP2P(peers.factory, { connectTimeoutMs: 1_500, maxAttempts: 1_000 });
    const clients: TandemClient[] = ['ann', 'bob'].map((u) => makeClient(server.url, u, { p2p, random: rng.fork() }));
    const [ann, bob] = clients as [TandemClient, TandemClient];
    const tokens: string[] = [];
    let serial = 0;
    /** `count` unique tokens typed by random clients at random places, a little apart. */
    const type = async (docs: readonly TandemDocument[], count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const k = rng.int(docs.length);
        const token = `<${k}:${serial++}>`;
        tokens.push(token);
        const text = docs[k]!.text();
        // Between tokens only, so no token is split by another.
        const cuts = [0, ...[...text.toString().matchAll(/>/g)].map((m) => m.index! + 1)];
        text.insert(rng.pick(cuts), token);
        if (rng.bool(0.5)) await pause(rng.int(20));
      }
    };
    const check = (text: string): void => {
      for (const token of tokens) assert.equal(text.split(token).length - 1, 1, `token ${token} exactly once in ${text}`);
      assert.equal(text.length, tokens.join('').length, 'nothing but the tokens');
    };
    const transports = (c: TandemClient): string => c.metrics.p2p.peers.map((p) => p.transport).join(',');
    try {
      const docs = await Promise.all(clients.map((c) => c.open(docId)));
      await Promise.all(docs.map((d) => d.whenSynced(10_000)));
      await waitForMesh(clients);
      await type(docs, 20);
      const viaP2PBefore = bob.metrics.p2p.eventsViaP2P + ann.metrics.p2p.eventsViaP2P;
      assert.ok(viaP2PBefore > 0);

      // Silent cut, mid-stream: typing goes on while the links find out.
      peers.blackhole(true);
      await type(docs, 20);
      await waitUntil('both links declared dead', () => transports(ann) === 'server' && transports(bob) === 'server', {
        describe: () => `${transports(ann)} / ${transports(bob)}`,
      });
      assert.match(ann.metrics.p2p.peers[0]!.lastError ?? '', /silent|not open/);
      const viaServerBefore = ann.metrics.p2p.eventsViaServer + bob.metrics.p2p.eventsViaServer;
      await type(docs, 20);
      check(await waitConverged(server, docId, docs));
      assert.ok(ann.metrics.p2p.eventsViaServer + bob.metrics.p2p.eventsViaServer > viaServerBefore, 'the server carried the traffic meanwhile');

      // The path heals: the links are retried and reopen.
      peers.blackhole(false);
      await waitForMesh(clients);
      const viaP2PHealed = ann.metrics.p2p.eventsViaP2P + bob.metrics.p2p.eventsViaP2P;
      await type(docs, 20);
      check(await waitConverged(server, docId, docs));
      assert.ok(ann.metrics.p2p.eventsViaP2P + bob.metrics.p2p.eventsViaP2P > viaP2PHealed, 'P2P carries events again');

      // Loud cut, mid-stream: the channels close.
      const typing = type(docs, 30);
      await pause(50);
      peers.closeAll();
      await typing;
      check(await waitConverged(server, docId, docs));
      await waitForMesh(clients);
      await type(docs, 10);
      check(await waitConverged(server, docId, docs));
      assert.ok(ann.metrics.p2p.peers[0]!.attempts >= 3, 'the link was set up again after each cut');
      assert.equal(await serverErrors(server, 'MISSING_PARENTS'), missingBefore);
    } finally {
      peers.blackhole(false);
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
