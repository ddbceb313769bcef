/**
 * A group commit's submissions merged in one receive (merge-together.ts): concurrent events-mode
 * editors with pipelined operations and plain-OT editors typing at once all converge on the
 * server's text, versions stay gap-free with one per event, and a submission the replica refuses
 * in a group fails alone while the rest of its group is committed. Seeded (the seed is printed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Doc, agentId, docId as toDocId } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { untilEvent } from './support/deadline.js';
import { StreamingEditor } from './support/editor-peer.js';
import { OtPeer } from './support/ot-peer.js';
import { withSeed } from './support/storage-random.js';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';
import type { RunningServer } from './support/test-server.js';

type Answer = Extract<ServerMessage, { type: 'operation_ack' }> | Extract<ServerMessage, { type: 'error' }>;

let srv: RunningServer;
before(async () => {
  srv = await startTestServer({ limits: { ratePerSecond: 100_000, rateBurst: 100_000 } });
});
after(async () => {
  await srv.stop();
});

async function grantAll(doc: string, users: readonly string[]): Promise<void> {
  const owner = await TestClient.hello(srv.url, 'owner');
  owner.send({ type: 'join_session', docId: doc });
  await owner.next((m) => m.type === 'session_joined');
  owner.close();
  for (const u of users) await srv.server.services.permissions.grant(doc, 'owner', u, 'editor');
}

describe('group commits merged in one receive', () => {
  test('events-mode and plain-OT editors typing at once converge; one version per event (seeded)', async () => {
    await withSeed(async (rng) => {
      console.log(`seed ${rng.seed}`);
      const doc = `merge-${rng.seed}`;
      const users = [...Array.from({ length: 8 }, (_, i) => `ev${i}`), 'ot0', 'ot1'];
      await grantAll(doc, users);
      const editors = await Promise.all(
        users.slice(0, 8).map((u) => StreamingEditor.open({ url: srv.url, userId: u, docId: doc, agent: `${u}-${rng.seed}`, rng, window: 4, budget: 60 })),
      );
      // Deletions only: a plain-OT insert meeting a concurrent insert-and-delete at one spot may
      // tie-break unlike the merge (a limit of plain OT mode, see ot-peer.ts), whatever the server.
      const ots = users.slice(8).map((u) => new OtPeer(u, doc, rng, 30, undefined, true));
      for (const o of ots) await o.connect(srv.url);
      for (const e of editors) e.start();
      const session = await srv.server.services.registry.open(toDocId(doc));
      const sockets = [...editors.map((e) => e.client), ...ots.map((o) => o.client!)].map((c) => c.ws);
      const anyMessage = (listener: () => void): (() => void) => {
        for (const ws of sockets) ws.on('message', listener);
        return () => {
          for (const ws of sockets) ws.off('message', listener);
        };
      };
      await untilEvent(anyMessage, () => editors.every((e) => e.acked.length === 60) && ots.every((o) => o.settled), 30_000, 'every edit acknowledged');
      const total = 8 * 60 + ots.reduce((n, o) => n + o.acks, 0);
      const head = session.version;
      assert.equal(head, total, 'one version per event');
      const stored = await srv.server.services.store.loadEvents(toDocId(doc), 0);
      stored.forEach((s, i) => assert.equal(s.version, i + 1));
      const replay = new Doc({ agent: agentId('check') });
      replay.receive(stored.map((s) => s.event));
      const text = replay.getText('body');
      assert.equal(session.replica.getText('body'), text, 'the server replica is what storage holds');
      for (const e of editors) {
        await untilEvent(anyMessage, () => e.doc.events().length === head, 10_000, 'every editor to hold every event');
        assert.equal(e.doc.getText('body'), text);
        assert.deepEqual(e.errors, []);
      }
      for (const o of ots) {
        await o.waitUntil(() => o.version === head, 10_000, 'the OT client to reach the head');
        assert.equal(o.text, text);
        assert.deepEqual(o.errors, []);
      }
      for (const e of editors) e.close();
      for (const o of ots) o.close();
    });
  });

  test('a submission the replica refuses fails alone; the rest of its group is committed', async () => {
    const doc = 'merge-refused';
    const users = ['a', 'b', 'c', 'd'];
    await grantAll(doc, users);
    const clients = await Promise.all(users.map((u) => TestClient.hello(srv.url, u)));
    for (const c of clients) {
      c.send({ type: 'join_session', docId: doc });
      await c.next((m) => m.type === 'session_joined');
    }
    const docs = users.map((u) => new Doc({ agent: agentId(`${u}-agent`) }));
    const events = docs.map((d, i) => d.insert('body', 0, `<${users[i]}>`)!);
    // c's event deletes text that is not there at its parents (the empty document).
    const bad = { ...events[2]!, change: { type: 'text' as const, name: 'body', op: [{ type: 'delete' as const, length: 5 }] } };
    clients.forEach((c, i) => c.send({ type: 'operation', docId: doc, operationId: `op-${i}`, events: [i === 2 ? bad : events[i]!] }));
    const answers = await Promise.all(clients.map((c, i) => c.next<Answer>((m) => (m.type === 'operation_ack' || m.type === 'error') && (m.type === 'error' ? m.ref === `op-${i}` : m.operationId === `op-${i}`), 10_000)));
    assert.deepEqual(answers.map((a) => a.type), ['operation_ack', 'operation_ack', 'error', 'operation_ack']);
    assert.equal((answers[2] as Extract<Answer, { type: 'error' }>).code, 'INVALID_OPERATION');
    assert.deepEqual(answers.filter((a) => a.type === 'operation_ack').map((a) => (a as Extract<Answer, { type: 'operation_ack' }>).version).sort(), [1, 2, 3]);
    const session = await srv.server.services.registry.open(toDocId(doc));
    const text = session.replica.getText('body');
    for (const u of ['a', 'b', 'd']) assert.ok(text.includes(`<${u}>`), `${u}'s insert is in ${JSON.stringify(text)}`);
    assert.equal(text.length, 9);
    for (const c of clients) c.close();
  });
});

