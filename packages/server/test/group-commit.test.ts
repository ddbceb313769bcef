/**
 * Group commit: submissions that arrive while a commit is in flight are stored together. Many
 * clients firing operations at once must each get an ack whose version covers exactly their events,
 * versions must be gap-free, and every acknowledged event must be stored once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Doc, agentId } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';
import type { RunningServer } from './support/test-server.js';

type Ack = Extract<ServerMessage, { type: 'operation_ack' }>;

let srv: RunningServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.stop();
});

test('twenty clients firing at once: every ack is right, versions are gap-free, nothing stored twice', async () => {
  const docId = 'group-commit';
  const owner = await TestClient.hello(srv.url, 'owner');
  owner.send({ type: 'join_session', docId });
  await owner.next((m) => m.type === 'session_joined');
  const clients: { c: TestClient; d: Doc; user: string }[] = [];
  for (let i = 0; i < 20; i++) {
    const user = `user${i}`;
    await srv.server.services.permissions.grant(docId, 'owner', user, 'editor');
    const c = await TestClient.hello(srv.url, user);
    c.send({ type: 'join_session', docId });
    await c.next((m) => m.type === 'session_joined');
    clients.push({ c, d: new Doc({ agent: agentId(`${user}-agent`) }), user });
  }
  // Each client sends 10 one-event operations without waiting for acks.
  const perClient = 10;
  for (const { c, d, user } of clients) {
    for (let k = 0; k < perClient; k++) {
      c.send({ type: 'operation', docId, operationId: `${user}-${k}`, events: [d.insert('body', d.textLength('body'), 'x')!] });
    }
  }
  const versions: number[] = [];
  for (const { c, user } of clients) {
    let last = 0;
    for (let k = 0; k < perClient; k++) {
      const ack = await c.next<Ack>((m) => m.type === 'operation_ack' && m.operationId === `${user}-${k}`, 15_000);
      assert.ok(ack.version > last, `acks of one client increase: ${ack.version} after ${last}`);
      last = ack.version;
      versions.push(ack.version);
    }
  }
  // Every event got its own version: 200 acks, all distinct, covering 1..200.
  assert.deepEqual([...new Set(versions)].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
  const stored = await srv.server.services.store.loadEvents(docId as never, 0);
  assert.equal(stored.length, 200);
  assert.equal(new Set(stored.map((s) => `${s.event.id.agent}:${s.event.id.seq}`)).size, 200);
  owner.close();
  for (const { c } of clients) c.close();
});
