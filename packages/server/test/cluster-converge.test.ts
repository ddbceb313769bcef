/**
 * Scale-out, the steady state: three real server processes sharing one PostgreSQL schema and one
 * Redis, thirty clients spread over them (three documents, every document on every node), seeded
 * random edits streamed with several operations in flight, and presence activity changing as they
 * go; each document also has a plain-OT client streaming deletions (see OtPeer for why not
 * inserts). Every document converges on every client, the plain-OT ones included (commits race
 * between nodes all the time, so OT clients get the race forms: one exact operation for an
 * overtaken step, their own edit taken out before their ack); storage holds each acknowledged event exactly once with gap-free versions; every
 * client ends up seeing every other user of its document with their latest activity; and room
 * presence and room broadcasts cross nodes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkStored, grantDocs, requireRedis, startCluster, REDIS_URL } from './support/cluster-harness.js';
import type { Cluster } from './support/cluster-harness.js';
import { converged, makePeers, outcomes, presenceConverged, usersByDoc } from './support/cluster-scenario.js';
import { OtPeer } from './support/ot-peer.js';
import { dropSchemas, requirePostgres, uniqueSchema } from './support/postgres.js';
import { SeededRandom, testSeed } from './support/storage-random.js';

const NODES = 3;
const CLIENTS = 30;
const DOCS = ['conv-a', 'conv-b', 'conv-c'];
const BUDGET = 30;

if ((await requirePostgres('cluster convergence')) && (await requireRedis('cluster convergence'))) {
  describe('cluster: three nodes, thirty clients', () => {
    const schema = uniqueSchema('cluster');
    let cluster: Cluster;
    before(async () => {
      cluster = await startCluster(NODES, schema, REDIS_URL);
    });
    after(async () => {
      await cluster?.stop();
      await dropSchemas([schema]);
    });

    test('edits and presence from every node converge; storage holds each acknowledged event once', { timeout: 240_000 }, async (t) => {
      const seed = testSeed();
      t.diagnostic(`seed ${seed} (reproduce with TANDEM_SEED=${seed})`);
      const rng = new SeededRandom(seed);
      const s = makePeers(CLIENTS, NODES, DOCS, rng, { budget: BUDGET });
      const changed = (): void => {
        for (const l of [...s.listeners]) l();
      };
      const ots = DOCS.map((docId) => new OtPeer(`ot-${docId}`, docId, new SeededRandom(rng.range(0, 2 ** 31)), BUDGET / 2, changed, true));
      try {
        const users = usersByDoc(s.peers);
        for (const o of ots) users.set(o.docId, [...(users.get(o.docId) ?? []), o.userId]);
        await grantDocs(schema, users);
        await Promise.all(s.peers.map((p, i) => p.connect(cluster.nodes[s.nodeOf[i]!]!.url)));
        const started = Date.now();
        await Promise.all(ots.map((o, i) => o.connect(cluster.nodes[i % NODES]!.url)));
        await s.until(() => s.peers.every((p) => p.finished) && ots.every((o) => o.settled), 180_000, 'every edit to be acknowledged');
        t.diagnostic(`${CLIENTS * BUDGET} events-mode and ${ots.reduce((n, o) => n + o.made, 0)} plain-OT edits acknowledged in ${Date.now() - started} ms`);
        await s.until(() => converged(s.peers), 30_000, 'every document to converge on every client');
        for (const o of ots) {
          const peer = s.peers.find((p) => p.docId === o.docId)!;
          await s.until(() => o.version === peer.version, 30_000, `the OT client of ${o.docId} to reach version ${peer.version}`);
          assert.equal(o.text, peer.doc.getText('body'), `the OT client of ${o.docId} has the document's text`);
          assert.deepEqual(o.errors, [], `the OT client of ${o.docId} got no error`);
        }
        for (const p of s.peers) assert.deepEqual(p.errors, [], `client ${p.userId} got no error`);
        const crossNode = s.peers.every((p) => [...p.remoteFrom.keys()].some((u) => s.nodeOf[Number(u.slice(1))] !== s.nodeOf[Number(p.userId.slice(1))]));
        assert.ok(crossNode, 'every client received edits made on other nodes');
        const { events, serverMade } = await checkStored(schema, outcomes(s.peers, s.peers));
        const otAcks = ots.reduce((n, o) => n + o.acks, 0);
        assert.equal(serverMade, otAcks, 'one stored event per acknowledged plain-OT operation');
        assert.equal(events, CLIENTS * BUDGET + otAcks, 'storage holds exactly the events the clients made');
        const otUsers = new Map(ots.map((o) => [o.docId, [o.userId]]));
        await s.until(() => presenceConverged(s.peers, otUsers), 20_000, 'every client to see every other user with their latest activity');

        // Rooms: presence and broadcasts across nodes.
        for (const p of s.peers) p.joinRoom('lobby');
        await s.until(() => s.peers.every((p) => p.roomView.size === CLIENTS - 1), 20_000, 'every client to see the 29 others in the room');
        for (const p of s.peers) p.roomBroadcast('lobby', `hello-from-${p.userId}`);
        await s.until(() => s.peers.every((p) => p.roomEvents.length === CLIENTS - 1), 20_000, 'every room event to reach every other client');
        for (const p of s.peers) {
          const from = new Set(p.roomEvents.map((e) => e.from));
          assert.equal(from.size, CLIENTS - 1, `${p.userId} got one event from each other member`);
          assert.ok(!from.has(p.userId), `${p.userId} did not get its own event back`);
        }
      } catch (e) {
        if (e instanceof Error) e.message = `${e.message}\n(reproduce with TANDEM_SEED=${seed})\n${cluster.output()}`;
        throw e;
      } finally {
        for (const p of s.peers) p.close();
        for (const o of ots) o.close();
      }
    });
  });
}
