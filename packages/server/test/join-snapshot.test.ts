/**
 * First joins by snapshot (protocol 2): a client that asks for one gets the server's replica
 * encoded, which decodes to the same texts and version, and later events apply on top of it both
 * ways; short histories, protocol 1 connections and clients that did not ask still get events;
 * asking on a resume or in plain OT mode is refused at the edge.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Doc, agentId, type Event } from '@tandem/core';
import { decodeBase64, type ServerMessage } from '@tandem/protocol';
import { SNAPSHOT_MIN_EVENTS } from '../src/sync/document-session.js';
import { TestClient } from './support/test-client.js';
import { startTestServer, type RunningServer } from './support/test-server.js';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

async function hello(url: string, userId: string, protocols: number[]): Promise<TestClient> {
  const c = await TestClient.connect(url);
  c.send({ type: 'hello', protocols, devUser: { id: userId, name: userId } });
  const w = await c.next<Of<'welcome'>>((m) => m.type === 'welcome');
  assert.equal(w.protocol, Math.max(...protocols));
  return c;
}

async function join(c: TestClient, docId: string, extra: Record<string, unknown> = {}): Promise<Of<'session_joined'>> {
  c.send({ type: 'join_session', docId, mode: 'events', ...extra });
  return c.next<Of<'session_joined'>>((m) => m.type === 'session_joined' && m.docId === docId);
}

let ops = 0;
async function send(c: TestClient, docId: string, events: readonly Event[]): Promise<Of<'operation_ack'>> {
  const operationId = `op-${++ops}`;
  c.send({ type: 'operation', docId, operationId, events });
  return c.next<Of<'operation_ack'>>((m) => m.type === 'operation_ack' && m.operationId === operationId);
}

/** Alice types `count` single-character edits into a new document and stores them. */
async function typed(c: TestClient, docId: string, count: number): Promise<Doc> {
  await join(c, docId);
  const doc = new Doc({ agent: agentId(`alice-${docId}`) });
  const events: Event[] = [];
  for (let i = 0; i < count; i++) events.push(doc.insert('body', i % 7 === 0 ? 0 : doc.textLength('body'), String.fromCharCode(97 + (i % 26)))!);
  events.push(doc.setKey('meta', 'title', 'Typed'));
  for (let i = 0; i < events.length; i += 500) await send(c, docId, events.slice(i, i + 500));
  return doc;
}

describe('join by snapshot', () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv.stop();
  });

  test('a fresh client asking for a snapshot gets one that decodes to the server state, and syncs on top of it', async () => {
    const docId = 'snap-long';
    const alice = await hello(srv.url, 'alice', [1, 2]);
    const source = await typed(alice, docId, 1_200);
    await srv.server.services.permissions.grant(docId, 'alice', 'bob', 'editor');

    const bob = await hello(srv.url, 'bob', [1, 2]);
    const joined = await join(bob, docId, { snapshot: true });
    assert.equal(joined.events, undefined);
    assert.equal(typeof joined.snapshot, 'string');
    assert.equal(joined.version, source.eventCount);
    const doc = Doc.decode(decodeBase64(joined.snapshot!), { agent: 'bob-1' });
    assert.equal(doc.getText('body'), source.getText('body'));
    assert.equal(doc.getMap('meta').get('title'), 'Typed');
    assert.equal(doc.eventCount, source.eventCount);
    assert.deepStrictEqual(doc.version, source.version);

    // Alice's next edit applies on top of the snapshot at Bob's…
    const next = source.insert('body', 0, 'A:')!;
    const ack = await send(alice, docId, [next]);
    assert.equal(ack.version, joined.version + 1);
    const remote = await bob.next<Of<'remote_operation'>>((m) => m.type === 'remote_operation' && m.docId === docId);
    assert.ok('events' in remote);
    doc.receive(remote.events);
    assert.equal(doc.getText('body'), source.getText('body'));
    // …and Bob's edit, made on the snapshot replica, applies at Alice's.
    const mine = doc.insert('body', doc.textLength('body'), ' (Bob)')!;
    assert.equal((await send(bob, docId, [mine])).version, joined.version + 2);
    const back = await alice.next<Of<'remote_operation'>>((m) => m.type === 'remote_operation' && m.docId === docId);
    assert.ok('events' in back);
    source.receive(back.events);
    assert.equal(source.getText('body'), doc.getText('body'));

    // A later fresh join gets the new state (the cached encoding is not reused past its version).
    const carol = await hello(srv.url, 'carol', [2]);
    await srv.server.services.permissions.grant(docId, 'alice', 'carol', 'viewer');
    const again = await join(carol, docId, { snapshot: true });
    assert.equal(again.version, joined.version + 2);
    assert.equal(Doc.decode(decodeBase64(again.snapshot!), { agent: 'carol-1' }).getText('body'), source.getText('body'));
    for (const c of [alice, bob, carol]) c.close();
  });

  test('clients that did not ask, protocol 1 connections and short histories get events', async () => {
    const docId = 'snap-events';
    const alice = await hello(srv.url, 'alice', [1, 2]);
    const source = await typed(alice, docId, 200);
    const total = source.eventCount;
    const plain = await join(await hello(srv.url, 'alice', [1, 2]), docId);
    assert.equal(plain.snapshot, undefined);
    assert.equal(plain.events?.length, total);
    const old = await join(await hello(srv.url, 'alice', [1]), docId, { snapshot: true });
    assert.equal(old.snapshot, undefined, 'a protocol 1 connection never gets a snapshot');
    assert.equal(old.events?.length, total);

    const small = await hello(srv.url, 'alice', [1, 2]);
    await typed(small, 'snap-short', SNAPSHOT_MIN_EVENTS - 1);
    const short = await join(await hello(srv.url, 'alice', [1, 2]), 'snap-short', { snapshot: true });
    assert.equal(short.snapshot, undefined);
    assert.equal(short.events?.length, SNAPSHOT_MIN_EVENTS);
    alice.close();
    small.close();
  });

  test('asking for a snapshot on a resume or in plain OT mode is refused', async () => {
    const c = await hello(srv.url, 'dave', [1, 2]);
    c.send({ type: 'join_session', docId: 'snap-bad', since: 3, snapshot: true });
    const e1 = await c.next<Of<'error'>>((m) => m.type === 'error');
    assert.equal(e1.code, 'BAD_MESSAGE');
    assert.match(e1.message, /not a resume/);
    c.send({ type: 'join_session', docId: 'snap-bad', mode: 'ot', snapshot: true });
    const e2 = await c.next<Of<'error'>>((m) => m.type === 'error');
    assert.equal(e2.code, 'BAD_MESSAGE');
    assert.match(e2.message, /mode "events"/);
    c.close();
  });
});
