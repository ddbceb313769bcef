/**
 * Scale-out without Redis for a while: three real server processes on a private redis-server (a
 * throwaway instance on a free port; the machine's shared Redis is never touched), clients
 * streaming edits from every node, then SIGKILL of Redis mid-stream. Edits keep flowing between
 * nodes, more slowly (each node polls storage for its open documents); Redis comes back empty (no
 * persistence), the nodes reconnect by themselves, rebuild presence, and delivery goes back to the
 * bus. No acknowledged edit is lost, nothing diverges, storage holds each event exactly once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkStored, gauge, grantDocs, PrivateRedis, requireRedisServerBinary, startCluster } from './support/cluster-harness.js';
import type { Cluster } from './support/cluster-harness.js';
import { converged, makePeers, outcomes, presenceConverged, usersByDoc } from './support/cluster-scenario.js';
import type { ClusterPeer } from './support/cluster-peer.js';
import { dropSchemas, requirePostgres, uniqueSchema } from './support/postgres.js';
import { SeededRandom, testSeed } from './support/storage-random.js';

const NODES = 3;
const CLIENTS = 12;
const DOCS = ['redis-a', 'redis-b'];
const BUDGET = 60;

/** Edits this peer received from users connected to other nodes. */
function crossNodeDeliveries(p: ClusterPeer, peers: readonly ClusterPeer[], nodeOf: readonly number[]): number {
  const mine = nodeOf[peers.indexOf(p)];
  let n = 0;
  for (const [user, count] of p.remoteFrom) if (nodeOf[peers.findIndex((q) => q.userId === user)] !== mine) n += count;
  return n;
}

/** Re-reads every node's bus gauge until all show `value` (external processes: re-checked on a short interval). */
async function busState(cluster: Cluster, value: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const states = await Promise.all(cluster.nodes.map((n) => gauge(n, 'tandem_cluster_bus_connected')));
    if (states.every((v) => v === value)) return;
    if (Date.now() > deadline) throw new Error(`nodes' bus gauges are ${states.join(',')}, not all ${value}, after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

if ((await requirePostgres('cluster Redis restart')) && requireRedisServerBinary('cluster Redis restart')) {
  describe('cluster: Redis restarts mid-stream', () => {
    const schema = uniqueSchema('redisdown');
    let cluster: Cluster;
    let redis: PrivateRedis;
    before(async () => {
      redis = await PrivateRedis.start();
      cluster = await startCluster(NODES, schema, redis.url);
    });
    after(async () => {
      await cluster?.stop();
      await redis?.stop();
      await dropSchemas([schema]);
    });

    test('edits keep flowing through storage, nothing is lost or diverges, delivery returns to the bus', { timeout: 240_000 }, async (t) => {
      const seed = testSeed();
      t.diagnostic(`seed ${seed} (reproduce with TANDEM_SEED=${seed}); private Redis on port ${redis.port}`);
      const rng = new SeededRandom(seed);
      const s = makePeers(CLIENTS, NODES, DOCS, rng, { budget: BUDGET });
      const acks = (): number => s.peers.reduce((n, p) => n + p.acked.length, 0);
      try {
        await grantDocs(schema, usersByDoc(s.peers));
        await busState(cluster, 1, 10_000);
        await Promise.all(s.peers.map((p, i) => p.connect(cluster.nodes[s.nodeOf[i]!]!.url)));
        await s.until(() => acks() >= rng.range(40, 120), 120_000, 'some acknowledgements before Redis dies');
        await redis.kill();
        const killedAt = acks();
        t.diagnostic(`Redis killed after ${killedAt} acks`);
        await busState(cluster, 0, 10_000);

        // Without Redis, every client still gets edits made on other nodes (from storage).
        const before = s.peers.map((p) => crossNodeDeliveries(p, s.peers, s.nodeOf));
        await s.until(
          () => s.peers.every((p, i) => p.finished || crossNodeDeliveries(p, s.peers, s.nodeOf) > before[i]!),
          60_000,
          'every streaming client to receive an edit from another node while Redis is down',
        );
        t.diagnostic(`while Redis was down: ${acks() - killedAt} acks, cross-node edits delivered to every client`);

        await redis.startAgain();
        await busState(cluster, 1, 20_000);
        const restartedAt = acks();
        t.diagnostic(`Redis back after ${restartedAt} acks; every node reconnected`);

        await s.until(() => s.peers.every((p) => p.finished), 180_000, 'every edit to be acknowledged');
        await s.until(() => converged(s.peers), 30_000, 'every document to converge');
        for (const p of s.peers) assert.deepEqual(p.errors, [], `client ${p.userId} got no error`);
        const { events } = await checkStored(schema, outcomes(s.peers, s.peers));
        assert.equal(events, CLIENTS * BUDGET, 'storage holds exactly the events the clients made');
        // Redis came back empty: presence was rebuilt from the nodes' fresh snapshots and relays.
        await s.until(() => presenceConverged(s.peers), 20_000, 'presence to converge again');
      } catch (e) {
        if (e instanceof Error) e.message = `${e.message}\n(reproduce with TANDEM_SEED=${seed})\n${cluster.output()}`;
        throw e;
      } finally {
        for (const p of s.peers) p.close();
      }
    });
  });
}
