/**
 * WebRTC signaling between connections on different nodes: two real server processes on one
 * database and one Redis, a client on each joined to the same document. A signal to the other
 * node's connection arrives with the sender's connection, user and level, and the answer comes
 * back the same way; an announce (target `*`, how P2P clients introduce themselves) reaches the other
 * node's connections; a signal to a connection that left, or that no node knows, gets NOT_FOUND.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerMessage } from '@tandem/protocol';
import { grantDocs, requireRedis, startCluster, REDIS_URL } from './support/cluster-harness.js';
import type { Cluster } from './support/cluster-harness.js';
import { dropSchemas, requirePostgres, uniqueSchema } from './support/postgres.js';
import { TestClient } from './support/test-client.js';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/** Connects as `user`, joins `docId`, and returns the client with its connection id. */
async function joined(url: string, user: string, docId: string): Promise<{ c: TestClient; id: string }> {
  const c = await TestClient.connect(url);
  c.send({ type: 'hello', protocols: [1], devUser: { id: user, name: user } });
  const welcome = await c.next<Of<'welcome'>>((m) => m.type === 'welcome', 10_000);
  c.send({ type: 'join_session', docId });
  await c.next((m) => m.type === 'session_joined', 10_000);
  return { c, id: welcome.connectionId };
}

if ((await requirePostgres('cluster signaling')) && (await requireRedis('cluster signaling'))) {
  describe('cluster: signaling between nodes', () => {
    const schema = uniqueSchema('signal');
    let cluster: Cluster;
    before(async () => {
      cluster = await startCluster(2, schema, REDIS_URL);
    });
    after(async () => {
      await cluster?.stop();
      await dropSchemas([schema]);
    });

    test('a signal reaches a connection on another node, and misses come back as NOT_FOUND', { timeout: 60_000 }, async () => {
      const docId = 'call';
      await grantDocs(schema, new Map([[docId, ['ann', 'ben']]]));
      const ann = await joined(cluster.nodes[0]!.url, 'ann', docId);
      const ben = await joined(cluster.nodes[1]!.url, 'ben', docId);
      try {
        // Each node learns the other's connections on the document through presence.
        await ann.c.next((m) => m.type === 'user_joined' && m.peer.userId === 'ben', 10_000);
        ann.c.send({ type: 'signal', docId, to: ben.id, data: { kind: 'offer', sdp: 'v=0' } });
        const offer = await ben.c.next<Of<'signal'>>((m) => m.type === 'signal', 10_000);
        assert.deepEqual(offer, { type: 'signal', docId, from: ann.id, userId: 'ann', level: 'owner', data: { kind: 'offer', sdp: 'v=0' } });
        ben.c.send({ type: 'signal', docId, to: offer.from, data: { kind: 'answer' } });
        const answer = await ann.c.next<Of<'signal'>>((m) => m.type === 'signal', 10_000);
        assert.equal(answer.from, ben.id);
        assert.equal(answer.level, 'editor');

        // An announce crosses nodes too, with the sender's identity filled in by its node.
        ben.c.send({ type: 'signal', docId, to: '*', data: { kind: 'hello-peers' } });
        const announce = await ann.c.next<Of<'signal'>>((m) => m.type === 'signal', 10_000);
        assert.deepEqual(announce, { type: 'signal', docId, from: ben.id, userId: 'ben', level: 'editor', data: { kind: 'hello-peers' } });

        ann.c.send({ type: 'signal', docId, to: 'nobody-anywhere', data: 1 });
        assert.equal((await ann.c.next<Of<'error'>>((m) => m.type === 'error', 10_000)).code, 'NOT_FOUND');

        // Ben leaves the document: his node refuses the relay and the miss comes back.
        ben.c.send({ type: 'leave_session', docId });
        await ann.c.next((m) => m.type === 'user_left' && m.userId === 'ben', 10_000);
        ann.c.send({ type: 'signal', docId, to: ben.id, data: 2 });
        const miss = await ann.c.next<Of<'error'>>((m) => m.type === 'error', 10_000);
        assert.equal(miss.code, 'NOT_FOUND');
      } finally {
        ann.c.close();
        ben.c.close();
      }
    });
  });
}
