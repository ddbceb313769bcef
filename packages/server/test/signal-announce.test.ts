/**
 * `signal` to "*" (how a peer-to-peer client introduces itself): the server relays it to every
 * other connection joined to the document, with the sender's connection id, user and level filled
 * in by the server, and to nobody else; at most once per join of the document.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerMessage } from '@tandem/protocol';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';
import type { RunningServer } from './support/test-server.js';

let srv: RunningServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.stop();
});

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

async function joined(user: string, docId: string): Promise<{ c: TestClient; id: string }> {
  const c = await TestClient.connect(srv.url);
  c.send({ type: 'hello', protocols: [1], devUser: { id: user, name: user } });
  const welcome = await c.next<Of<'welcome'>>((m) => m.type === 'welcome');
  c.send({ type: 'join_session', docId, mode: 'events' });
  await c.next((m) => m.type === 'session_joined' && m.docId === docId);
  return { c, id: welcome.connectionId };
}

test('an announce reaches every other connection on the document, once per join', async () => {
  const docId = 'announce-1';
  const ann = await joined('ann', docId);
  await srv.server.services.permissions.grant(docId, 'ann', 'vic', 'viewer');
  const vic = await joined('vic', docId);
  const ann2 = await joined('ann', docId);
  const other = await joined('oz', 'announce-elsewhere');
  try {
    vic.c.send({ type: 'signal', docId, to: '*', data: { hi: 1 } });
    const expected = { type: 'signal', docId, from: vic.id, userId: 'vic', level: 'viewer', data: { hi: 1 } };
    assert.deepEqual(await ann.c.next((m) => m.type === 'signal'), expected);
    assert.deepEqual(await ann2.c.next((m) => m.type === 'signal'), expected);

    // A second announce on the same join is refused; after leaving and joining again it is allowed.
    vic.c.send({ type: 'signal', docId, to: '*', data: { hi: 2 } });
    const refused = await vic.c.next<Of<'error'>>((m) => m.type === 'error');
    assert.equal(refused.code, 'LIMIT_EXCEEDED');
    assert.equal(refused.ref, 'signal');
    vic.c.send({ type: 'leave_session', docId });
    vic.c.send({ type: 'join_session', docId, mode: 'events' });
    await vic.c.next((m) => m.type === 'session_joined' && m.docId === docId);
    vic.c.send({ type: 'signal', docId, to: '*', data: { hi: 3 } });
    assert.deepEqual((await ann.c.next<Of<'signal'>>((m) => m.type === 'signal')).data, { hi: 3 });

    // A targeted signal to a connection not on the document: NOT_FOUND naming the signal, so a
    // peer-to-peer client can tell which of its messages missed (the peer left).
    vic.c.send({ type: 'signal', docId, to: other.id, data: { hi: 5 } });
    const missed = await vic.c.next<Of<'error'>>((m) => m.type === 'error');
    assert.equal(missed.code, 'NOT_FOUND');
    assert.equal(missed.ref, 'signal');
    assert.equal(missed.docId, docId);

    // Not joined: refused, and nobody hears it. The sender never hears its own announce.
    other.c.send({ type: 'signal', docId, to: '*', data: { hi: 4 } });
    assert.equal((await other.c.next<Of<'error'>>((m) => m.type === 'error')).code, 'NOT_JOINED');
    ann.c.send({ type: 'ping', t: 1 });
    await ann.c.next((m) => m.type === 'pong');
    assert.equal(ann.c.received.filter((m) => m.type === 'signal').length, 0, 'no signal from a connection not on the document');
    assert.equal(vic.c.received.filter((m) => m.type === 'signal').length, 0);
    assert.equal(other.c.received.filter((m) => m.type === 'signal').length, 0);
  } finally {
    for (const x of [ann, vic, ann2, other]) x.c.ws.close();
  }
});
