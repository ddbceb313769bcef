/**
 * The server's integration scenarios over real WebSockets, as one suite function run once per
 * storage (server-sync.test.ts: SQLite; postgres-server.test.ts: PostgreSQL): events mode with
 * real core replicas on the client side, the plain OT mode with a JSON-only client, permissions,
 * resend after a lost ack, catch-up, presence join/leave, and bad input.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Doc, agentId } from '@tandem/core';
import type { Event } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import type { defaultConfig } from '../../src/index.js';
import { TestClient } from './test-client.js';
import type { RunningServer } from './test-server.js';

/** Starts a server for the scenarios with config overrides; `stop()` removes everything it made. */
export type StartServer = (overrides?: Parameters<typeof defaultConfig>[0]) => Promise<RunningServer>;

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;
const is =
  <T extends ServerMessage['type']>(type: T, docId?: string) =>
  (m: ServerMessage): boolean =>
    m.type === type && (docId === undefined || !('docId' in m) || m.docId === docId);

async function joinEvents(c: TestClient, docId: string, since?: number): Promise<Of<'session_joined'>> {
  c.send({ type: 'join_session', docId, ...(since !== undefined ? { since } : {}) });
  return c.next<Of<'session_joined'>>(is('session_joined', docId));
}

let opSeq = 0;
async function sendEvents(c: TestClient, docId: string, events: readonly Event[]): Promise<Of<'operation_ack'>> {
  const operationId = `op-${++opSeq}`;
  c.send({ type: 'operation', docId, operationId, events });
  return c.next<Of<'operation_ack'>>((m) => m.type === 'operation_ack' && m.operationId === operationId);
}

/** Registers every scenario under `label`, each against servers made by `start`. */
export function runSyncScenarios(label: string, start: StartServer): void {
  describe(`server sync scenarios (${label})`, () => {
    let srv: RunningServer;
    before(async () => {
      srv = await start();
    });
    after(async () => {
      await srv.stop();
    });

    describe('events mode', () => {
      test('two clients edit concurrently and converge', async () => {
        const docId = 'converge-1';
        const a = await TestClient.hello(srv.url, 'alice');
        const b = await TestClient.hello(srv.url, 'bob');
        const da = new Doc({ agent: agentId('alice-1') });
        const db = new Doc({ agent: agentId('bob-1') });
        const ja = await joinEvents(a, docId);
        assert.equal(ja.level, 'owner');
        await srv.server.services.permissions.grant(docId, 'alice', 'bob', 'editor');
        await srv.server.services.permissions.grant(docId, 'alice', 'carol', 'viewer');
        await joinEvents(b, docId);
        const e1 = da.insert('body', 0, 'hello')!;
        const ack1 = await sendEvents(a, docId, [e1]);
        assert.equal(ack1.version, 1);
        const r1 = await b.next<Of<'remote_operation'>>(is('remote_operation', docId));
        assert.ok('events' in r1);
        db.receive(r1.events);
        // Concurrent edits: neither saw the other's.
        const ea = da.insert('body', 5, ' alice')!;
        const eb = db.insert('body', 0, 'bob: ')!;
        const [acka, ackb] = await Promise.all([sendEvents(a, docId, [ea]), sendEvents(b, docId, [eb])]);
        assert.deepEqual([acka.version, ackb.version].sort(), [2, 3]);
        const ra = await a.next<Of<'remote_operation'>>(is('remote_operation', docId));
        const rb = await b.next<Of<'remote_operation'>>(is('remote_operation', docId));
        assert.ok('events' in ra && 'events' in rb);
        da.receive(ra.events);
        db.receive(rb.events);
        assert.equal(da.getText('body'), 'bob: hello alice');
        assert.equal(db.getText('body'), da.getText('body'));
        // A third client joining later gets the same state.
        const c = await TestClient.hello(srv.url, 'carol');
        const jc = await joinEvents(c, docId);
        assert.equal(jc.level, 'viewer');
        assert.ok(jc.events !== undefined);
        const dc = new Doc({ agent: agentId('carol-1') });
        dc.receive(jc.events);
        assert.equal(dc.getText('body'), da.getText('body'));
        assert.equal(jc.version, 3);
        a.close();
        b.close();
        c.close();
      });

      test('a resend after a lost ack is stored once; a different payload under the same id is refused', async () => {
        const docId = 'resend-1';
        const a = await TestClient.hello(srv.url, 'alice');
        await joinEvents(a, docId);
        const d = new Doc({ agent: agentId('alice-r') });
        const e = d.insert('body', 0, 'x')!;
        const first = await sendEvents(a, docId, [e]);
        const again = await sendEvents(a, docId, [e]);
        assert.equal(first.version, 1);
        assert.equal(again.version, 1);
        assert.equal(again.duplicates, 1);
        const forged: Event = { ...e, change: { type: 'text', name: 'body', op: [{ type: 'insert', content: 'EVIL' }] } };
        a.send({ type: 'operation', docId, operationId: 'forged', events: [forged] });
        const err = await a.next<Of<'error'>>(is('error'));
        assert.equal(err.code, 'CONFLICTING_EVENT');
        assert.equal(err.ref, 'forged');
        const b = await TestClient.hello(srv.url, 'alice');
        const j = await joinEvents(b, docId);
        assert.equal(j.version, 1);
        const check = new Doc({ agent: agentId('check') });
        check.receive(j.events ?? []);
        assert.equal(check.getText('body'), 'x');
        a.close();
        b.close();
      });

      test('rejoining with `since` sends only what came after', async () => {
        const docId = 'since-1';
        const a = await TestClient.hello(srv.url, 'alice');
        await joinEvents(a, docId);
        const d = new Doc({ agent: agentId('alice-s') });
        for (let i = 0; i < 5; i++) await sendEvents(a, docId, [d.insert('body', i, String(i))!]);
        const b = await TestClient.hello(srv.url, 'alice');
        const j = await joinEvents(b, docId, 3);
        assert.equal(j.version, 5);
        assert.deepEqual(j.events?.map((e) => e.id.seq), [3, 4]);
        b.send({ type: 'request_sync', docId, since: 4 });
        const sync = await b.next<Of<'sync'>>(is('sync', docId));
        assert.deepEqual(sync.events?.map((e) => e.id.seq), [4]);
        a.close();
        b.close();
      });

      test('events with unknown parents are refused with MISSING_PARENTS and change nothing', async () => {
        const docId = 'missing-1';
        const a = await TestClient.hello(srv.url, 'alice');
        await joinEvents(a, docId);
        const d = new Doc({ agent: agentId('alice-m') });
        d.insert('body', 0, 'a');
        const e2 = d.insert('body', 1, 'b')!;
        a.send({ type: 'operation', docId, operationId: 'orphan', events: [e2] });
        const err = await a.next<Of<'error'>>(is('error'));
        assert.equal(err.code, 'MISSING_PARENTS');
        const b = await TestClient.hello(srv.url, 'alice');
        assert.equal((await joinEvents(b, docId)).version, 0);
        a.close();
        b.close();
      });
    });

    describe('permissions', () => {
      test('a viewer cannot edit: PERMISSION_DENIED and nothing changes', async () => {
        const docId = 'perm-1';
        const owner = await TestClient.hello(srv.url, 'olivia');
        await joinEvents(owner, docId);
        await srv.server.services.permissions.grant(docId, 'olivia', 'victor', 'viewer');
        const viewer = await TestClient.hello(srv.url, 'victor');
        const j = await joinEvents(viewer, docId);
        assert.equal(j.level, 'viewer');
        const d = new Doc({ agent: agentId('victor-1') });
        viewer.send({ type: 'operation', docId, operationId: 'v1', events: [d.insert('body', 0, 'nope')!] });
        const err = await viewer.next<Of<'error'>>(is('error'));
        assert.equal(err.code, 'PERMISSION_DENIED');
        const again = await TestClient.hello(srv.url, 'olivia');
        assert.equal((await joinEvents(again, docId)).version, 0);
        owner.close();
        viewer.close();
        again.close();
      });

      test('a stranger cannot join an existing document; a share link lets them in at its level', async () => {
        const docId = 'perm-2';
        const owner = await TestClient.hello(srv.url, 'olivia');
        await joinEvents(owner, docId);
        const stranger = await TestClient.hello(srv.url, 'mallory');
        stranger.send({ type: 'join_session', docId });
        assert.equal((await stranger.next<Of<'error'>>(is('error'))).code, 'PERMISSION_DENIED');
        const link = await srv.server.services.permissions.createLink(docId, 'olivia', 'commenter');
        stranger.send({ type: 'join_session', docId, link: link.token });
        const j = await stranger.next<Of<'session_joined'>>(is('session_joined', docId));
        assert.equal(j.level, 'commenter');
        const d = new Doc({ agent: agentId('mallory-1') });
        stranger.send({ type: 'operation', docId, operationId: 'm1', events: [d.insert('body', 0, 'x')!] });
        assert.equal((await stranger.next<Of<'error'>>(is('error'))).code, 'PERMISSION_DENIED');
        owner.close();
        stranger.close();
      });
    });

    describe('plain OT mode (a client that speaks only JSON)', () => {
      test('ops against a server version are transformed; acks and remote ops carry versions', async () => {
        const docId = 'ot-1';
        const a = await TestClient.hello(srv.url, 'ann');
        a.send({ type: 'join_session', docId, mode: 'ot' });
        const ja = await a.next<Of<'session_joined'>>(is('session_joined', docId));
        assert.equal(ja.version, 0);
        assert.deepEqual(ja.content, {});
        a.send({ type: 'operation', docId, operationId: 'a1', version: 0, operations: [{ type: 'insert', content: 'hello world' }] });
        const ack1 = await a.next<Of<'operation_ack'>>(is('operation_ack', docId));
        assert.equal(ack1.version, 1);
        await srv.server.services.permissions.grant(docId, 'ann', 'ben', 'editor');
        const b = await TestClient.hello(srv.url, 'ben');
        b.send({ type: 'join_session', docId, mode: 'ot' });
        const jb = await b.next<Of<'session_joined'>>(is('session_joined', docId));
        assert.deepEqual(jb.content, { body: 'hello world' });
        // Concurrent: both at version 1.
        a.send({ type: 'operation', docId, operationId: 'a2', version: 1, operations: [{ type: 'retain', length: 5 }, { type: 'insert', content: ',' }] });
        await a.next(is('operation_ack', docId));
        b.send({ type: 'operation', docId, operationId: 'b1', version: 1, operations: [{ type: 'retain', length: 11 }, { type: 'insert', content: '!' }] });
        const ackb = await b.next<Of<'operation_ack'>>(is('operation_ack', docId));
        assert.equal(ackb.version, 3);
        // ben first gets ann's op (version 2), which he transforms against his pending op.
        const rb = await b.next<Of<'remote_operation'>>(is('remote_operation', docId));
        assert.ok('operations' in rb);
        assert.equal(rb.version, 2);
        assert.deepEqual(rb.operations, [{ type: 'retain', length: 5 }, { type: 'insert', content: ',' }]);
        // ann gets ben's op already transformed against hers.
        const ra = await a.next<Of<'remote_operation'>>(is('remote_operation', docId));
        assert.ok('operations' in ra);
        assert.equal(ra.version, 3);
        assert.deepEqual(ra.operations, [{ type: 'retain', length: 12 }, { type: 'insert', content: '!' }]);
        const c = await TestClient.hello(srv.url, 'ann');
        c.send({ type: 'join_session', docId, mode: 'ot' });
        const jc = await c.next<Of<'session_joined'>>(is('session_joined', docId));
        assert.deepEqual(jc.content, { body: 'hello, world!' });
        assert.equal(jc.version, 3);
        // Catch-up from version 1 in OT form.
        c.send({ type: 'request_sync', docId, since: 1 });
        const sync = await c.next<Of<'sync'>>(is('sync', docId));
        assert.deepEqual(sync.operations?.map((o) => o.version), [2, 3]);
        a.close();
        b.close();
        c.close();
      });

      test('pipelined ops against older versions are placed exactly (no version vector shortcut)', async () => {
        const docId = 'ot-pipelined';
        const a = await TestClient.hello(srv.url, 'ann');
        const writer = await TestClient.hello(srv.url, 'ann');
        a.send({ type: 'join_session', docId, mode: 'ot' });
        await a.next(is('session_joined', docId));
        writer.send({ type: 'join_session', docId });
        await writer.next(is('session_joined', docId));
        const ot = async (operationId: string, version: number, operations: readonly Record<string, unknown>[]): Promise<Of<'operation_ack'>> => {
          a.send({ type: 'operation', docId, operationId, version, operations });
          return a.next<Of<'operation_ack'>>((m) => (m.type === 'operation_ack' && m.operationId === operationId) || m.type === 'error');
        };
        assert.equal((await ot('base', 0, [{ type: 'insert', content: 'hello' }])).version, 1);
        // Two ops against version 1 without waiting: the second is concurrent with the first.
        a.send({ type: 'operation', docId, operationId: 'p1', version: 1, operations: [{ type: 'retain', length: 5 }, { type: 'insert', content: 'A' }] });
        assert.equal((await ot('p2', 1, [{ type: 'retain', length: 5 }, { type: 'insert', content: 'B' }])).version, 3);
        // Someone else edits (version 4); then an op against version 3, whose text is "helloAB".
        const d = new Doc({ agent: agentId('writer-p') });
        writer.send({ type: 'request_sync', docId, since: 0 });
        const sync = await writer.next<Of<'sync'>>(is('sync', docId));
        d.receive(sync.events ?? []);
        assert.equal(d.getText('body'), 'helloAB');
        assert.equal((await sendEvents(writer, docId, [d.insert('body', 0, '>')!])).version, 4);
        const ack = await ot('p3', 3, [{ type: 'retain', length: 7 }, { type: 'insert', content: '!' }]);
        assert.equal(ack.type, 'operation_ack', JSON.stringify(ack));
        const c = await TestClient.hello(srv.url, 'ann');
        c.send({ type: 'join_session', docId, mode: 'ot' });
        assert.deepEqual((await c.next<Of<'session_joined'>>(is('session_joined', docId))).content, { body: '>helloAB!' });
        a.close();
        writer.close();
        c.close();
      });

      test('an op reaching past the text at its version is refused', async () => {
        const docId = 'ot-2';
        const a = await TestClient.hello(srv.url, 'ann');
        a.send({ type: 'join_session', docId, mode: 'ot' });
        await a.next(is('session_joined', docId));
        a.send({ type: 'operation', docId, operationId: 'bad', version: 0, operations: [{ type: 'retain', length: 3 }, { type: 'insert', content: 'x' }] });
        const err = await a.next<Of<'error'>>(is('error'));
        assert.equal(err.code, 'INVALID_OPERATION');
        a.send({ type: 'operation', docId, operationId: 'future', version: 99, operations: [{ type: 'insert', content: 'x' }] });
        assert.equal((await a.next<Of<'error'>>(is('error'))).code, 'VERSION_CONFLICT');
        a.close();
      });
    });

    describe('presence', () => {
      test('join and leave reach the others; one user with two tabs appears once', async () => {
        const docId = 'presence-1';
        const a = await TestClient.hello(srv.url, 'alice');
        await joinEvents(a, docId);
        await srv.server.services.permissions.grant(docId, 'alice', 'bob', 'editor');
        const b1 = await TestClient.hello(srv.url, 'bob');
        const jb = await joinEvents(b1, docId);
        assert.deepEqual(jb.activeUsers.map((p) => p.userId), ['alice']);
        const joined = await a.next<Of<'user_joined'>>(is('user_joined'));
        assert.equal(joined.peer.userId, 'bob');
        const b2 = await TestClient.hello(srv.url, 'bob');
        await joinEvents(b2, docId);
        b1.close();
        await b1.closed;
        b2.send({ type: 'cursor_update', docId, version: 0, cursor: { anchor: 0, head: 0 } });
        const cur = await a.next<Of<'remote_cursor'>>(is('remote_cursor', docId));
        assert.equal(cur.userId, 'bob');
        assert.equal(a.received.some((m) => m.type === 'user_left'), false, 'bob still has a tab open');
        b2.close();
        const left = await a.next<Of<'user_left'>>(is('user_left'));
        assert.equal(left.userId, 'bob');
        a.close();
      });
    });

    describe('bad input and the handshake', () => {
      test('malformed messages get error codes and the connection keeps working', async () => {
        const a = await TestClient.hello(srv.url, 'alice');
        a.sendRaw('{not json');
        assert.equal((await a.next<Of<'error'>>(is('error'))).code, 'BAD_MESSAGE');
        a.send({ type: 'teleport' });
        assert.equal((await a.next<Of<'error'>>(is('error'))).code, 'UNKNOWN_TYPE');
        a.send({ type: 'join_session', docId: 42 } as unknown as Record<string, unknown>);
        assert.equal((await a.next<Of<'error'>>(is('error'))).code, 'BAD_MESSAGE');
        a.send({ type: 'operation', docId: 'never-joined', operationId: 'x', events: [] });
        assert.equal((await a.next<Of<'error'>>(is('error'))).code, 'NOT_JOINED');
        a.send({ type: 'ping', t: 7 });
        assert.equal((await a.next<Of<'pong'>>(is('pong'))).t, 7);
        a.close();
      });

      test('the first message must be hello; an unknown protocol version is refused', async () => {
        const a = await TestClient.connect(srv.url);
        a.send({ type: 'ping', t: 1 });
        assert.equal((await a.next<Of<'error'>>(is('error'))).code, 'HANDSHAKE_REQUIRED');
        await a.closed;
        assert.equal(a.closeCode, 1008);
        const b = await TestClient.connect(srv.url);
        b.send({ type: 'hello', protocols: [99], devUser: { id: 'x' } });
        assert.equal((await b.next<Of<'error'>>(is('error'))).code, 'UNSUPPORTED_PROTOCOL');
        await b.closed;
      });

      test('a message over maxPayload closes the socket with 1009', async () => {
        const small = await start({ limits: { maxMessageBytes: 1024 } });
        try {
          const a = await TestClient.hello(small.url, 'alice');
          a.sendRaw(JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(5000) }));
          await a.closed;
          assert.equal(a.closeCode, 1009);
        } finally {
          await small.stop();
        }
      });

      test('a connection that never says hello is closed after the handshake timeout', async () => {
        const quick = await start({ limits: { handshakeTimeoutMs: 200 } });
        try {
          const a = await TestClient.connect(quick.url);
          await a.closed;
          assert.equal(a.closeCode, 1008);
        } finally {
          await quick.stop();
        }
      });
    });
  });
}
