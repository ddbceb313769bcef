/**
 * Scale-out, a node dies: three real server processes, clients streaming edits on two documents
 * from every node, and SIGKILL of one node after a seeded number of acknowledgements. Half of the
 * dead node's clients reconnect to the surviving nodes (rejoining with `since` and resending what
 * was not acknowledged); the other half are gone for good. Nothing acknowledged is lost, everyone
 * left converges, storage holds every acknowledged event exactly once, and the users who did not
 * come back disappear from the others' presence within the bound the node timeout sets.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkStored, grantDocs, requireRedis, startCluster, REDIS_URL, TEST_TIMING } from './support/cluster-harness.js';
import type { Cluster } from './support/cluster-harness.js';
import { converged, makePeers, outcomes, presenceConverged, usersByDoc } from './support/cluster-scenario.js';
import { withDeadline } from './support/deadline.js';
import { dropSchemas, requirePostgres, uniqueSchema } from './support/postgres.js';
import { SeededRandom, testSeed } from './support/storage-random.js';

const NODES = 3;
const CLIENTS = 12;
const DOCS = ['fail-a', 'fail-b'];
const BUDGET = 40;
const VICTIM = 2;
/**
 * A dead node's users leave within the node timeout, plus the heartbeat that notices it, plus slack
 * for a loaded machine (the other nodes' timers run late).
 */
const PRESENCE_BOUND_MS = TEST_TIMING.nodeTimeoutMs + 2 * TEST_TIMING.heartbeatMs + 2_000;

if ((await requirePostgres('cluster failover')) && (await requireRedis('cluster failover'))) {
  describe('cluster: SIGKILL of a node mid-stream', () => {
    const schema = uniqueSchema('failover');
    let cluster: Cluster;
    before(async () => {
      cluster = await startCluster(NODES, schema, REDIS_URL);
    });
    after(async () => {
      await cluster?.stop();
      await dropSchemas([schema]);
    });

    test('its clients move to the other nodes and lose nothing acknowledged; its users leave presence', { timeout: 240_000 }, async (t) => {
      const seed = testSeed();
      t.diagnostic(`seed ${seed} (reproduce with TANDEM_SEED=${seed})`);
      const rng = new SeededRandom(seed);
      const s = makePeers(CLIENTS, NODES, DOCS, rng, { budget: BUDGET });
      const victims = s.peers.filter((_, i) => s.nodeOf[i] === VICTIM);
      const movers = victims.filter((_, i) => i % 2 === 0);
      const gone = victims.filter((_, i) => i % 2 === 1);
      const stayers = s.peers.filter((p) => !victims.includes(p));
      const survivors = [...stayers, ...movers];
      const killAfter = rng.range(60, 200);
      let killedAt = 0;
      try {
        await grantDocs(schema, usersByDoc(s.peers));
        await Promise.all(s.peers.map((p, i) => p.connect(cluster.nodes[s.nodeOf[i]!]!.url)));
        // Presence settled first, so a departure is a change the others can observe.
        await s.until(() => presenceConverged(s.peers), 20_000, 'presence to settle before the kill');
        await s.until(() => s.peers.reduce((n, p) => n + p.acked.length, 0) >= killAfter, 120_000, `${killAfter} acknowledgements`);
        cluster.nodes[VICTIM]!.killHard();
        killedAt = Date.now();
        const exit = await withDeadline(cluster.nodes[VICTIM]!.exited, 10_000, 'the victim node to die');
        assert.equal(exit.signal, 'SIGKILL');
        await withDeadline(Promise.all(victims.map((p) => p.client!.closed)), 10_000, "the victim's clients to see their connections drop");
        const unacked = movers.reduce((n, p) => n + p.unacknowledged, 0);
        t.diagnostic(`killed node n${VICTIM} after ${killAfter} acks; ${movers.length} clients move with ${unacked} unacknowledged operations, ${gone.length} leave`);
        for (const p of gone) p.stop();
        await Promise.all(movers.map((p, i) => p.connect(cluster.nodes[i % VICTIM]!.url)));

        // The gone users leave every survivor's presence, within the bound.
        await s.until(
          () => survivors.every((p) => gone.every((g) => g.docId !== p.docId || p.leftAt.has(g.userId))),
          PRESENCE_BOUND_MS * 3,
          'every survivor to see the gone users leave',
        );
        const slowest = Math.max(...survivors.flatMap((p) => gone.filter((g) => g.docId === p.docId).map((g) => p.leftAt.get(g.userId)! - killedAt)));
        t.diagnostic(`gone users left presence everywhere ${slowest} ms after the kill (bound ${PRESENCE_BOUND_MS} ms)`);
        assert.ok(slowest <= PRESENCE_BOUND_MS, `gone users left within ${PRESENCE_BOUND_MS} ms (took ${slowest} ms)`);

        await s.until(() => survivors.every((p) => p.finished), 180_000, 'every surviving edit to be acknowledged');
        await s.until(() => converged(survivors), 30_000, 'the survivors to converge');
        for (const p of survivors) assert.deepEqual(p.errors, [], `client ${p.userId} got no error`);
        // The gone clients' acknowledged events are checked too: acknowledged means stored.
        await checkStored(schema, outcomes(s.peers, survivors));
        await s.until(() => presenceConverged(survivors), 20_000, 'survivors to see exactly each other, with their latest activity');
      } catch (e) {
        if (e instanceof Error) e.message = `${e.message}\n(reproduce with TANDEM_SEED=${seed})\n${cluster.output()}`;
        throw e;
      } finally {
        for (const p of s.peers) p.close();
      }
    });
  });
}
