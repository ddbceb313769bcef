/**
 * Peer-to-peer sync between real clients (werift data channels over loopback) beside a real
 * server: links open through server signaling; edits cross them before the server's echo (shown
 * with the receiver's server path stalled, so the server cannot be what delivered them) and
 * presence too; a client whose event depends on a peer's event the server has not got yet holds
 * it (the server never answers MISSING_PARENTS); two and four clients making seeded random
 * edits converge with the server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TandemClient } from '../src/index.js';
import { makeClient } from './support/clients.js';
import { FaultProxy } from './support/fault-proxy.js';
import { CuttablePeers, testP2P } from './support/p2p.js';
import { randomEdit, serverErrors, waitConverged, waitForMesh } from './support/p2p-scenario.js';
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

/** Server links that survive a few seconds' stall (the stall is the scenario, not a fault). */
const PATIENT = { heartbeatMs: 1_000, heartbeatTimeoutMs: 15_000, ackTimeoutMs: 15_000 } as const;

describe('p2p: sync over data channels', () => {
  test('two peers: the P2P path delivers first, presence crosses, held events wait for the server', { timeout: 90_000 }, async () => {
    const rng = new Rng(testSeed('p2p two peers'));
    const peers = new CuttablePeers();
    const docId = 'p2p-two';
    await server.share(docId, 'ann', ['ann', 'bob']);
    const annProxy = await FaultProxy.start(server.port, rng);
    const bobProxy = await FaultProxy.start(server.port, rng);
    const missingBefore = await serverErrors(server, 'MISSING_PARENTS');
    const ann = makeClient(annProxy.url, 'ann', { ...PATIENT, p2p: testP2P(peers.factory), random: rng.fork() });
    const bob = makeClient(bobProxy.url, 'bob', { ...PATIENT, p2p: testP2P(peers.factory), random: rng.fork() });
    try {
      const a = await ann.open(docId);
      const b = await bob.open(docId);
      await Promise.all([a.whenSynced(10_000), b.whenSynced(10_000)]);
      await waitForMesh([ann, bob]);
      const link = bob.metrics.p2p.peers[0]!;
      assert.equal(link.userId, 'ann');
      assert.equal(link.level, 'owner');
      assert.ok(link.setupMs !== undefined && link.setupMs > 0);

      // Bob's server path is stalled: ann's edit can only reach him over the data channel.
      const before = bob.metrics.p2p;
      bobProxy.stall(4_000);
      a.text().insert(0, 'hello');
      await waitUntil('bob has ann’s edit while his server link is stalled', () => b.text().toString() === 'hello', { timeoutMs: 3_500 });
      assert.equal(bob.metrics.p2p.eventsViaP2P, before.eventsViaP2P + 1, 'ann’s event reached bob over P2P');
      assert.equal(bob.metrics.p2p.eventsViaServer, before.eventsViaServer, 'not from the server');
      await a.whenSynced(10_000);
      await waitConverged(server, docId, [a, b]);
      assert.equal(bob.metrics.p2p.eventsViaServer, before.eventsViaServer, 'the server echo, arriving later, was a duplicate');

      // Ann's server path is stalled: her edit reaches bob (P2P) but not the server. Bob's edit on
      // top of it must wait for the server to have hers.
      annProxy.stall(2_500);
      a.text().insert(5, ' world');
      await waitUntil('bob has ann’s second edit', () => b.text().toString() === 'hello world', { timeoutMs: 2_000 });
      b.text().insert(11, '!');
      await pause(300);
      assert.equal(b.pendingCount, 1, 'bob’s edit is held while its parent is only a peer’s');
      const text = await waitConverged(server, docId, [a, b]);
      assert.equal(text, 'hello world!');
      assert.equal(await serverErrors(server, 'MISSING_PARENTS'), missingBefore, 'the server never saw an event before its parents');

      // Presence over the link: ann's cursor reaches bob, reported as via 'p2p'.
      a.presence.update({ activity: 'typing fast' });
      a.presence.setCursor({ anchor: 2, head: 4 });
      await waitUntil('bob sees ann’s presence over P2P', () => {
        const p = b.presence.get('ann');
        return p?.via === 'p2p' && p.activity === 'typing fast' && p.cursor?.anchor === 2 && p.cursor.head === 4;
      });
      assert.ok(bob.metrics.p2p.peers[0]!.presenceReceived >= 1);
      assert.ok(bob.metrics.p2p.peers[0]!.rtt.count >= 1, 'pings over the link give an RTT');
      assert.equal(bob.metrics.p2p.refused + bob.metrics.p2p.invalid + ann.metrics.p2p.refused + ann.metrics.p2p.invalid, 0);
    } finally {
      await Promise.all([ann.close(), bob.close()]);
      await Promise.all([annProxy.stop(), bobProxy.stop()]);
    }
  });

  test('a peer event held for its parents still ends in a synced state (regression: whenSynced hung)', { timeout: 60_000 }, async () => {
    const rng = new Rng(testSeed('p2p buffered'));
    const peers = new CuttablePeers();
    const docId = 'p2p-buffered';
    await server.share(docId, 'ann', ['ann', 'bob']);
    const bobProxy = await FaultProxy.start(server.port, rng);
    const ann = makeClient(server.url, 'ann', { ...PATIENT, p2p: testP2P(peers.factory), random: rng.fork() });
    const bob = makeClient(bobProxy.url, 'bob', { ...PATIENT, p2p: testP2P(peers.factory), random: rng.fork() });
    try {
      const a = await ann.open(docId);
      const b = await bob.open(docId);
      await Promise.all([a.whenSynced(10_000), b.whenSynced(10_000)]);
      await waitForMesh([ann, bob]);
      // Bob's server path stalls and ann's first event is lost on the link: her second reaches bob
      // over P2P without its parent, and waits there.
      bobProxy.stall(2_000);
      peers.dropNext(1, (frame) => frame.startsWith('{"k":"ev"'));
      a.text().insert(0, 'a');
      a.text().insert(1, 'b');
      await waitUntil('bob holds ann’s second event, waiting for its parent', () => b.replica.pendingCount === 1, { timeoutMs: 1_500 });
      assert.equal(b.synced, false);
      await b.whenSynced(15_000);
      assert.equal(b.text().toString(), 'ab');
    } finally {
      await Promise.all([ann.close(), bob.close()]);
      await bobProxy.stop();
    }
  });

  test('a peer that leaves is forgotten by both sides of its links', { timeout: 60_000 }, async () => {
    const rng = new Rng(testSeed('p2p leave'));
    const peers = new CuttablePeers();
    const docId = 'p2p-leave';
    await server.share(docId, 'ann', ['ann', 'bob', 'cy']);
    const clients: TandemClient[] = ['ann', 'bob', 'cy'].map((u) => makeClient(server.url, u, { p2p: testP2P(peers.factory), random: rng.fork() }));
    const [ann, bob, cy] = clients as [TandemClient, TandemClient, TandemClient];
    try {
      await Promise.all(clients.map((c) => c.open(docId)));
      await waitForMesh(clients);
      await cy.close();
      // Whichever side offered retries, the other asks it to; the server's NOT_FOUND ends both.
      await waitUntil('ann and bob forgot cy', () => [ann, bob].every((c) => c.metrics.p2p.peers.every((p) => p.userId !== 'cy')), {
        describe: () => JSON.stringify([ann, bob].map((c) => c.metrics.p2p.peers.map((p) => [p.userId, p.state, p.lastError]))),
      });
      assert.deepEqual(ann.metrics.p2p.peers.map((p) => [p.userId, p.transport]), [['bob', 'p2p']]);
      assert.deepEqual(bob.metrics.p2p.peers.map((p) => [p.userId, p.transport]), [['ann', 'p2p']]);
    } finally {
      await Promise.all([ann.close(), bob.close()]);
    }
  });

  test('the mesh stays within maxPeers; peers beyond it sync through the server', { timeout: 90_000 }, async () => {
    const rng = new Rng(testSeed('p2p mesh cap'));
    const peers = new CuttablePeers();
    const docId = 'p2p-cap';
    const users = ['k0', 'k1', 'k2', 'k3'];
    await server.share(docId, 'k0', users);
    const clients: TandemClient[] = users.map((u) => makeClient(server.url, u, { p2p: testP2P(peers.factory, { maxPeers: 2 }), random: rng.fork() }));
    const links = (c: TandemClient): number => c.metrics.p2p.peers.filter((p) => p.transport === 'p2p').length;
    try {
      const docs = await Promise.all(clients.map((c) => c.open(docId)));
      await Promise.all(docs.map((d) => d.whenSynced(10_000)));
      // Which pairs get a link depends on who is introduced first: wait for some, never more than two each.
      await waitUntil('links formed', () => clients.reduce((n, c) => n + links(c), 0) >= 4, { timeoutMs: 20_000 });
      for (let i = 0; i < 40; i++) {
        const k = rng.int(docs.length);
        randomEdit(rng, docs[k]!, `(${k}.${i})`, true);
        assert.ok(clients.every((c) => links(c) <= 2), 'at most maxPeers links');
        if (rng.bool(0.3)) await pause(rng.int(15));
      }
      await waitConverged(server, docId, docs);
      assert.ok(clients.every((c) => links(c) <= 2));
      assert.ok(clients.some((c) => c.metrics.p2p.peers.some((p) => p.transport === 'server')), 'some pairs had no direct link');
      assert.ok(clients.reduce((n, c) => n + c.metrics.p2p.eventsViaServer, 0) > 0, 'their events came through the server');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  for (const n of [2, 4]) {
    test(`${n} peers: seeded random edits over a full mesh converge`, { timeout: 120_000 }, async () => {
      const rng = new Rng(testSeed(`p2p mesh of ${n}`));
      const peers = new CuttablePeers();
      const docId = `p2p-mesh-${n}`;
      const users = Array.from({ length: n }, (_, i) => `u${i}`);
      await server.share(docId, 'u0', users);
      const missingBefore = await serverErrors(server, 'MISSING_PARENTS');
      const clients: TandemClient[] = users.map((u) => makeClient(server.url, u, { p2p: testP2P(peers.factory), random: rng.fork() }));
      try {
        const docs = await Promise.all(clients.map((c) => c.open(docId)));
        await Promise.all(docs.map((d) => d.whenSynced(10_000)));
        await waitForMesh(clients);
        const steps = 30 * n;
        for (let i = 0; i < steps; i++) {
          const k = rng.int(n);
          randomEdit(rng, docs[k]!, `[${k}.${i}]`, true);
          if (rng.bool(0.3)) await pause(rng.int(15));
        }
        await waitConverged(server, docId, docs, 60_000);
        for (const c of clients) assert.ok(c.metrics.p2p.eventsViaP2P > 0, 'every client got peers’ events over P2P');
        const viaP2P = clients.reduce((s, c) => s + c.metrics.p2p.eventsViaP2P, 0);
        const viaServer = clients.reduce((s, c) => s + c.metrics.p2p.eventsViaServer, 0);
        console.log(`# ${n} peers: ${viaP2P} remote events first over P2P, ${viaServer} first from the server`);
        assert.ok(viaP2P > viaServer, 'most remote events arrived over P2P first');
        assert.equal(await serverErrors(server, 'MISSING_PARENTS'), missingBefore);
        for (const c of clients) assert.equal(c.metrics.p2p.refused + c.metrics.p2p.invalid, 0);
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    });
  }
});
