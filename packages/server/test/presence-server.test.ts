/**
 * Presence through a real server: away after idle, invisible mode, room broadcasts and last-seen
 * times that outlive the connection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerMessage } from '@tandem/protocol';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';
import type { RunningServer } from './support/test-server.js';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

let srv: RunningServer;
before(async () => {
  srv = await startTestServer({ presence: { awayAfterMs: 300, ttlMs: 30_000, maxUpdatesPerSecond: 30 } });
});
after(async () => {
  await srv.stop();
});

async function join(c: TestClient, docId: string): Promise<Of<'session_joined'>> {
  c.send({ type: 'join_session', docId });
  return c.next<Of<'session_joined'>>((m) => m.type === 'session_joined');
}

test('an idle user turns away for the others, and back online when active', async () => {
  const docId = 'away-1';
  const a = await TestClient.hello(srv.url, 'alice');
  await join(a, docId);
  await srv.server.services.permissions.grant(docId, 'alice', 'bob', 'editor');
  const b = await TestClient.hello(srv.url, 'bob');
  await join(b, docId);
  const away = await a.next<Of<'presence'>>((m) => m.type === 'presence' && m.peer.userId === 'bob' && m.peer.status === 'away', 5_000);
  assert.equal(away.peer.status, 'away');
  b.send({ type: 'presence_update', scope: 'doc', id: docId, state: { activity: 'reading' } });
  const back = await a.next<Of<'presence'>>((m) => m.type === 'presence' && m.peer.userId === 'bob' && m.peer.status === 'online', 5_000);
  assert.equal(back.peer.activity, 'reading');
  a.close();
  b.close();
});

test('invisible mode hides a user from the others until they show themselves again', async () => {
  const docId = 'invisible-1';
  const a = await TestClient.hello(srv.url, 'alice');
  await join(a, docId);
  await srv.server.services.permissions.grant(docId, 'alice', 'ivy', 'editor');
  const b = await TestClient.hello(srv.url, 'ivy');
  await join(b, docId);
  await a.next((m) => m.type === 'user_joined');
  b.send({ type: 'presence_update', scope: 'doc', id: docId, state: { invisible: true } });
  const left = await a.next<Of<'user_left'>>((m) => m.type === 'user_left');
  assert.equal(left.userId, 'ivy');
  // A third user joining now does not see ivy.
  await srv.server.services.permissions.grant(docId, 'alice', 'carl', 'viewer');
  const c = await TestClient.hello(srv.url, 'carl');
  const jc = await join(c, docId);
  assert.deepEqual(jc.activeUsers.map((p) => p.userId).sort(), ['alice']);
  b.send({ type: 'presence_update', scope: 'doc', id: docId, state: { invisible: false } });
  const again = await a.next<Of<'user_joined'>>((m) => m.type === 'user_joined' && m.peer.userId === 'ivy');
  assert.equal(again.peer.userId, 'ivy');
  a.close();
  b.close();
  c.close();
});

test('rooms carry app events and remember last-seen times', async () => {
  const a = await TestClient.hello(srv.url, 'alice');
  const b = await TestClient.hello(srv.url, 'bob');
  a.send({ type: 'join_room', room: 'team' });
  await a.next((m) => m.type === 'room_joined');
  b.send({ type: 'join_room', room: 'team' });
  const joined = await b.next<Of<'room_joined'>>((m) => m.type === 'room_joined');
  assert.ok(joined.members.some((m) => m.userId === 'alice'));
  b.send({ type: 'room_broadcast', room: 'team', event: 'goal_created', data: { title: 'ship it' } });
  const ev = await a.next<Of<'room_event'>>((m) => m.type === 'room_event');
  assert.deepEqual([ev.event, ev.data, ev.from], ['goal_created', { title: 'ship it' }, 'bob']);
  b.close();
  await a.next((m) => m.type === 'user_left');
  // bob is gone but remembered: a new member sees him offline with a last-seen time.
  const c = await TestClient.hello(srv.url, 'carol');
  c.send({ type: 'join_room', room: 'team' });
  const seen = await c.next<Of<'room_joined'>>((m) => m.type === 'room_joined');
  const bob = seen.members.find((m) => m.userId === 'bob');
  assert.ok(bob !== undefined, 'bob is listed');
  assert.equal(bob.status, 'offline');
  assert.ok(bob.lastSeen > 0);
  a.close();
  c.close();
});
