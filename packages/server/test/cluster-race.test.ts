/**
 * Commits racing between nodes, made deterministic: two servers in this process share one
 * PostgreSQL schema and no bus, so neither hears of the other's commits and every commit after the
 * other's is overtaken (the store returns versions with a gap before ours). Checked exactly: an
 * events client is told the other node's events before ours, with the database's versions; a
 * plain-OT client that did not send gets one exact operation for the whole step; the plain-OT
 * sender gets the other node's edit without its own before its ack and ends on the server's text
 * (double deletes included); the versions inside the race are refused to OT requests; the other
 * node catches up in version order; and a client moving between the nodes resumes from `since`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Doc, docId as toDocId } from '@tandem/core';
import type { Event } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { openStore } from '../src/storage/open-store.js';
import { OtPeer } from './support/ot-peer.js';
import { POSTGRES_URL, dropSchemas, requirePostgres, uniqueSchema } from './support/postgres.js';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';
import type { RunningServer } from './support/test-server.js';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;
const is =
  (type: ServerMessage['type'], docId?: string) =>
  (m: ServerMessage): boolean =>
    m.type === type && (docId === undefined || ('docId' in m && m.docId === docId));

async function joinEvents(c: TestClient, docId: string, since?: number): Promise<Of<'session_joined'>> {
  c.send({ type: 'join_session', docId, ...(since !== undefined ? { since } : {}) });
  return c.next<Of<'session_joined'>>(is('session_joined', docId));
}

if (await requirePostgres('cluster races')) {
  describe('cluster: commits racing between nodes (two servers, one database, no bus)', () => {
    const schema = uniqueSchema('race');
    let s1: RunningServer;
    let s2: RunningServer;
    before(async () => {
      s1 = await startTestServer({ storage: POSTGRES_URL, storageSchema: schema });
      s2 = await startTestServer({ storage: POSTGRES_URL, storageSchema: schema });
    });
    after(async () => {
      await s1?.stop();
      await s2?.stop();
      await dropSchemas([schema]);
    });

    test('an overtaken commit delivers the other node’s events first, in database order, to every kind of client', async () => {
      const docId = 'race-1';
      const store = await openStore(POSTGRES_URL, { schema });
      await store.createDocument(toDocId(docId), 'ann');
      for (const u of ['ben', 'cat']) await store.setPermission(toDocId(docId), u, 'editor');
      await store.close();
      const a1 = await TestClient.hello(s1.url, 'ann');
      await joinEvents(a1, docId);
      const e2 = await TestClient.hello(s2.url, 'ann');
      await joinEvents(e2, docId);
      const sender = new OtPeer('ben', docId);
      await sender.connect(s2.url);
      const watcher = new OtPeer('cat', docId);
      await watcher.connect(s2.url);

      // Node 1 stores "hello" at version 1; node 2 has not heard of it.
      const ann = new Doc({ agent: 'ann-1' });
      const hello = ann.insert('body', 0, 'hello') as Event;
      a1.send({ type: 'operation', docId, operationId: 'h', events: [hello] });
      assert.equal((await a1.next<Of<'operation_ack'>>(is('operation_ack', docId))).version, 1);

      // Node 2's OT client types "X" at version 0: its append lands at version 2, after a gap.
      sender.edit([{ type: 'insert', content: 'X' }]);
      const ev1 = await e2.next<Of<'remote_operation'>>(is('remote_operation', docId));
      const ev2 = await e2.next<Of<'remote_operation'>>(is('remote_operation', docId));
      assert.equal(ev1.version, 1, 'the events client gets node 1’s event first, at its database version');
      assert.ok('events' in ev1 && ev1.events[0]!.id.agent === 'ann-1' && ev1.userId === 'ann');
      assert.equal(ev2.version, 2);
      assert.ok('events' in ev2 && ev2.userId === 'ben');
      await sender.waitUntil(() => sender.settled && sender.version === 2, 5_000, 'the sender’s ack');
      await watcher.waitUntil(() => watcher.remote.length === 1, 5_000, 'the watcher’s remote operation');
      // Concurrent inserts at one place: the plain-OT agent's comes last.
      const served = await joinText(s2.url, docId);
      assert.equal(served.text, 'helloX');
      assert.equal(served.version, 2);
      assert.equal(sender.text, 'helloX', 'the OT sender ends on the server’s text');
      assert.equal(sender.version, 2);
      assert.deepEqual(sender.remote.map((r) => r.version), [1], 'the sender got the other node’s edit, labelled with its version, before its ack');
      assert.equal(watcher.text, 'helloX', 'the OT watcher ends on the server’s text');
      assert.deepEqual(watcher.remote.map((r) => r.version), [2], 'the watcher got one exact operation for the whole step');

      // Version 1 lies inside the race on node 2: no exact OT form there.
      watcher.client!.send({ type: 'request_sync', docId, since: 1 });
      assert.equal((await watcher.client!.next<Of<'error'>>(is('error', docId))).code, 'VERSION_CONFLICT');
      watcher.client!.send({ type: 'request_sync', docId, since: 0 });
      const sync = await watcher.client!.next<Of<'sync'>>(is('sync', docId));
      assert.deepEqual(sync.operations?.map((o) => o.version), [2]);

      // Node 1 catches up (a commit notice would trigger this), in version order.
      await s1.server.services.registry.get(toDocId(docId))!.catchUp();
      const caught = await a1.next<Of<'remote_operation'>>(is('remote_operation', docId));
      assert.equal(caught.version, 2);
      assert.equal(caught.userId, 'ben');

      // A client moving from node 2 to node 1 resumes from its version.
      e2.close();
      const moved = await TestClient.hello(s1.url, 'ann');
      const resumed = await joinEvents(moved, docId, 2);
      assert.equal(resumed.version, 2);
      assert.deepEqual(resumed.events, []);
      for (const c of [a1, moved]) c.close();
      sender.close();
      watcher.close();
    });

    test('the OT sender of an overtaken commit converges when both nodes deleted the same text', async () => {
      const docId = 'race-2';
      const owner = await TestClient.hello(s1.url, 'ann');
      await joinEvents(owner, docId);
      const ann = new Doc({ agent: 'ann-2' });
      const base = ann.insert('body', 0, 'abcdefgh') as Event;
      owner.send({ type: 'operation', docId, operationId: 'base', events: [base] });
      await owner.next(is('operation_ack', docId));
      await s1.server.services.permissions.grant(docId, 'ann', 'ben', 'editor');
      const sender = new OtPeer('ben', docId);
      await sender.connect(s2.url);
      assert.equal(sender.text, 'abcdefgh');
      // Node 1 deletes "cd"; node 2's OT client, not knowing, deletes "bcde" and inserts "Z".
      const del = ann.delete('body', 2, 2) as Event;
      owner.send({ type: 'operation', docId, operationId: 'del', events: [del] });
      await owner.next(is('operation_ack', docId));
      sender.edit([{ type: 'retain', length: 1 }, { type: 'delete', length: 4 }, { type: 'insert', content: 'Z' }]);
      await sender.waitUntil(() => sender.settled, 5_000, 'the sender’s ack');
      const served = await joinText(s2.url, docId);
      assert.equal(served.version, 3);
      assert.equal(served.text, 'aZfgh');
      assert.equal(sender.text, served.text, 'the sender’s text equals the server’s');
      assert.equal(sender.version, 3);
      owner.close();
      sender.close();
    });
  });
}

/** The body text and version a fresh OT join is served. */
async function joinText(url: string, docId: string): Promise<{ text: string; version: number }> {
  const c = await TestClient.hello(url, 'ann');
  try {
    c.send({ type: 'join_session', docId, mode: 'ot' });
    const j = await c.next<Of<'session_joined'>>(is('session_joined', docId));
    return { text: j.content?.['body'] ?? '', version: j.version };
  } finally {
    c.close();
  }
}
