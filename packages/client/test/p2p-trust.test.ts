/**
 * Who a peer is comes from the server alone: edits over a data channel from a viewer or a
 * commenter are refused by the receivers (their presence is welcome), signals from a connection
 * the server did not admit to the document never arrive, and signals that do not belong to an
 * exchange this client started are ignored — each counted in `client.metrics.p2p`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TandemClient } from '../src/index.js';
import { makeClient } from './support/clients.js';
import { CuttablePeers, testP2P } from './support/p2p.js';
import { waitForMesh } from './support/p2p-scenario.js';
import { Rng, testSeed } from './support/random.js';
import { RawPeer } from './support/raw-peer.js';
import { TestServer } from './support/test-server.js';
import { waitUntil } from './support/wait.js';

let server: TestServer;
before(async () => {
  server = await TestServer.start();
});
after(async () => {
  await server.stop();
});

describe('p2p: trust', () => {
  test('edits from a viewer or a commenter peer are refused; their presence is not', { timeout: 90_000 }, async () => {
    const rng = new Rng(testSeed('p2p levels'));
    const peers = new CuttablePeers();
    const docId = 'p2p-levels';
    await server.share(docId, 'ann', ['ann']);
    await server.server.services.permissions.grant(docId, 'ann', 'vic', 'viewer');
    await server.server.services.permissions.grant(docId, 'ann', 'cam', 'commenter');
    const clients: TandemClient[] = ['ann', 'vic', 'cam'].map((u) => makeClient(server.url, u, { p2p: testP2P(peers.factory), random: rng.fork() }));
    const [ann, vic, cam] = clients as [TandemClient, TandemClient, TandemClient];
    try {
      const [a, v, c] = await Promise.all(clients.map((cl) => cl.open(docId)));
      await Promise.all([a!.whenSynced(10_000), v!.whenSynced(10_000), c!.whenSynced(10_000)]);
      assert.equal(v!.level, 'viewer');
      assert.equal(c!.level, 'commenter');
      // The server refuses their edits too; that error is expected here.
      v!.on('error', () => undefined);
      c!.on('error', () => undefined);
      await waitForMesh(clients);
      a!.text().insert(0, 'owned text');
      await waitUntil('the viewer and the commenter see the owner’s edit', () => v!.text().toString() === 'owned text' && c!.text().toString() === 'owned text');

      v!.text().insert(0, 'VIEWER ');
      c!.text().insert(0, 'COMMENTER ');
      const peer = (of: TandemClient, user: string) => of.metrics.p2p.peers.find((p) => p.userId === user);
      await waitUntil('ann refused both peers’ edits', () => (peer(ann, 'vic')?.refused ?? 0) >= 1 && (peer(ann, 'cam')?.refused ?? 0) >= 1, {
        describe: () => JSON.stringify(ann.metrics.p2p.peers),
      });
      // Each refuses the other as well.
      await waitUntil('vic and cam refused each other’s edits', () => (peer(vic, 'cam')?.refused ?? 0) >= 1 && (peer(cam, 'vic')?.refused ?? 0) >= 1);
      assert.equal(peer(ann, 'vic')!.level, 'viewer');
      assert.equal(peer(ann, 'cam')!.level, 'commenter');
      // A later edit of ann's, synced everywhere, shows nothing of theirs ever arrived.
      a!.text().insert(a!.text().length, '.');
      await a!.whenSynced(10_000);
      assert.equal(a!.text().toString(), 'owned text.');
      assert.equal((await server.text(docId)).text, 'owned text.');
      assert.equal(ann.metrics.p2p.eventsViaP2P, 0);

      // Presence from them is fine.
      v!.presence.update({ activity: 'reading' });
      await waitUntil('ann sees the viewer’s presence over P2P', () => a!.presence.get('vic')?.via === 'p2p' && a!.presence.get('vic')?.activity === 'reading');
    } finally {
      await Promise.all(clients.map((cl) => cl.close()));
    }
  });

  test('signals from connections the server did not introduce on the document go nowhere', { timeout: 60_000 }, async () => {
    const rng = new Rng(testSeed('p2p introductions'));
    const peers = new CuttablePeers();
    const docId = 'p2p-intro';
    await server.share(docId, 'ann', ['ann', 'bob', 'mal']);
    const ann = makeClient(server.url, 'ann', { p2p: testP2P(peers.factory), random: rng.fork() });
    const bob = makeClient(server.url, 'bob', { p2p: testP2P(peers.factory), random: rng.fork() });
    const mal = await RawPeer.connect(server.url, 'mal');
    try {
      const a = await ann.open(docId);
      const b = await bob.open(docId);
      await Promise.all([a.whenSynced(10_000), b.whenSynced(10_000)]);
      await waitForMesh([ann, bob]);
      assert.equal(ann.metrics.p2p.peers[0]!.userId, 'bob');
      // Ann's connection id, as bob knows it (mal could have learned it any way at all).
      const target = bob.metrics.p2p.peers[0]!.connectionId;
      await mal.join('elsewhere');
      const forged = { tag: 'tandem-p2p', kind: 'offer', link: 'forged', sdp: 'v=0' };
      mal.send({ type: 'signal', docId, to: target, data: forged });
      mal.send({ type: 'signal', docId: 'elsewhere', to: target, data: forged });
      mal.send({ type: 'signal', docId: 'elsewhere', to: '*', data: { tag: 'tandem-p2p', kind: 'hello' } });
      await mal.next('NOT_JOINED for the document mal is not on', (m) => m.type === 'error' && m.code === 'NOT_JOINED' && m.docId === docId);
      await mal.next('NOT_FOUND for ann on a document she is not on', (m) => m.type === 'error' && m.code === 'NOT_FOUND' && m.docId === 'elsewhere');

      // On the document, mal is introduced (by the server, as mal, an editor) but forges the rest:
      // an answer and candidates for a link it is not part of, a malformed signal, a second announce.
      await mal.join(docId);
      mal.send({ type: 'signal', docId, to: '*', data: { tag: 'tandem-p2p', kind: 'hello', userId: 'bob', level: 'owner' } });
      await mal.next('ann’s reply to mal’s hello', (m) => m.type === 'signal' && m.from === target);
      // A signal that is not the SDK's own belongs to the app: it gets it, and nothing is counted.
      const appSignals: unknown[] = [];
      ann.on('message', (m) => {
        if (m.type === 'signal') appSignals.push(m.data);
      });
      const invalidBefore = ann.metrics.p2p.invalid;
      mal.send({ type: 'signal', docId, to: target, data: { app: 'wave' } });
      await waitUntil('ann’s app got mal’s own signal', () => appSignals.length === 1);
      assert.deepEqual(appSignals, [{ app: 'wave' }]);
      assert.equal(ann.metrics.p2p.invalid, invalidBefore);
      const before = ann.metrics.p2p;
      mal.send({ type: 'signal', docId, to: target, data: { tag: 'tandem-p2p', kind: 'answer', link: 'not-a-link', sdp: 'v=0' } });
      mal.send({ type: 'signal', docId, to: target, data: { tag: 'tandem-p2p', kind: 'candidate', link: 'not-a-link', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' } } });
      mal.send({ type: 'signal', docId, to: target, data: { tag: 'tandem-p2p', kind: 'offer', sdp: 42 } });
      mal.send({ type: 'signal', docId, to: '*', data: { tag: 'tandem-p2p', kind: 'hello' } });
      await mal.next('a second announce on one join is refused', (m) => m.type === 'error' && m.code === 'LIMIT_EXCEEDED' && m.ref === 'signal');
      await waitUntil('ann ignored the forged answer and candidate and dropped the malformed signal', () => {
        const now = ann.metrics.p2p;
        return now.ignored >= before.ignored + 2 && now.invalid >= before.invalid + 1;
      });
      const malSeen = ann.metrics.p2p.peers.find((p) => p.connectionId === mal.connectionId);
      assert.ok(malSeen !== undefined, 'mal is known, as the server introduced it');
      assert.equal(malSeen.userId, 'mal', 'by the user the server named, not the one mal claimed');
      assert.equal(malSeen.level, 'editor');
      assert.equal(malSeen.transport, 'server', 'no link: mal never completed a real exchange');
      assert.equal(ann.metrics.p2p.peers.filter((p) => p.transport === 'p2p').length, 1, 'the link with bob is untouched');
    } finally {
      mal.close();
      await Promise.all([ann.close(), bob.close()]);
    }
  });
});
