/**
 * The version-history scenarios, run over a real server (port 0, a checkpoint every 3 events) by
 * history-api.test.ts on SQLite and history-postgres.test.ts on PostgreSQL: automatic checkpoints
 * with their authors, named versions, the text at a version, the attributed diff naming the users
 * who edited, restore as a new version that WebSocket clients receive as a remote operation, and
 * agent binding: events sent under another user's agent are refused and change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Doc, agentId } from '@tandem/core';
import type { Event } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { docPath, RestClient } from './support/rest-client.js';
import type { RestErrorBody } from './support/rest-client.js';
import { TestClient } from './support/test-client.js';
import type { startTestServer, RunningServer } from './support/test-server.js';

/** Starts a server with the given configuration overrides, on the storage under test. */
export type StartServer = (overrides: Parameters<typeof startTestServer>[0]) => Promise<RunningServer>;

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

const CHECKPOINT_EVENTS = 3;

/** The server of the running suite (one per test file), and alice's REST client on it. */
let srv: RunningServer;
let rest: RestClient;

export function runHistoryScenarios(label: string, start: StartServer): void {
  describe(`version history scenarios (${label})`, () => {
    before(async () => {
      srv = await start({ history: { checkpointEvents: CHECKPOINT_EVENTS, checkpointMs: 3_600_000 } });
      rest = new RestClient(srv.http, 'alice');
    });
    after(async () => {
      await srv.stop();
    });
    registerHistoryTests();
    registerAgentBindingTests();
  });
}

/** A WebSocket user editing through a real core replica. */
class Editor {
  private ops = 0;
  private constructor(
    readonly ws: TestClient,
    readonly doc: Doc,
    readonly docId: string,
  ) {}

  static async join(user: string, agent: string, docId: string): Promise<Editor> {
    const ws = await TestClient.hello(srv.url, user);
    ws.send({ type: 'join_session', docId });
    const joined = await ws.next<Of<'session_joined'>>((m) => m.type === 'session_joined' && m.docId === docId);
    const doc = new Doc({ agent: agentId(agent) });
    doc.receive(joined.events ?? []);
    return new Editor(ws, doc, docId);
  }

  /** Sends events and waits for the ack (or the error answering them). */
  async send(events: readonly Event[]): Promise<Of<'operation_ack'> | Of<'error'>> {
    const operationId = `op-${++this.ops}`;
    this.ws.send({ type: 'operation', docId: this.docId, operationId, events });
    return this.ws.next<Of<'operation_ack'> | Of<'error'>>((m) => (m.type === 'operation_ack' && m.operationId === operationId) || (m.type === 'error' && m.ref === operationId));
  }

  async edit(make: (doc: Doc) => Event | undefined): Promise<number> {
    const e = make(this.doc);
    assert.ok(e !== undefined);
    const ack = await this.send([e]);
    assert.equal(ack.type, 'operation_ack', JSON.stringify(ack));
    return ack.type === 'operation_ack' ? ack.version : -1;
  }

  /** Takes in the next remote operation on this document. */
  async catchUp(): Promise<Of<'remote_operation'>> {
    const m = await this.ws.next<Of<'remote_operation'>>((x) => x.type === 'remote_operation' && x.docId === this.docId);
    assert.ok('events' in m);
    this.doc.receive(m.events);
    return m;
  }

  get text(): string {
    return this.doc.getText('body');
  }

  close(): void {
    this.ws.close();
  }
}

interface Revision {
  kind: 'named' | 'checkpoint';
  version: number;
  name?: string;
  createdBy?: string;
  createdAt: number;
  authors?: string[];
}
interface Segment {
  kind: string;
  text: string;
  authors?: string[];
}

async function revisions(docId: string, client = rest): Promise<Revision[]> {
  await srv.server.services.history.whenIdle();
  const r = await client.get<{ revisions: Revision[] }>(docPath(docId, '/revisions'));
  assert.equal(r.status, 200);
  return r.body.revisions;
}

async function textAt(docId: string, v: number): Promise<string> {
  const r = await rest.get<{ text: string; version: number }>(docPath(docId, `/versions/${v}`));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.version, v);
  return r.body.text;
}

function registerHistoryTests(): void {
  describe('version history', () => {
    test('automatic checkpoints every N events, with their authors', async () => {
      const docId = 'hist-checkpoints';
      const a = await Editor.join('alice', 'alice-cp', docId);
      for (let i = 0; i < 7; i++) await a.edit((d) => d.insert('body', i, String(i)));
      const list = await revisions(docId);
      assert.deepEqual(
        list.map((r) => [r.kind, r.version, r.authors]),
        [
          ['checkpoint', 6, ['alice']],
          ['checkpoint', 3, ['alice']],
        ],
      );
      for (const r of list) assert.ok(Math.abs(r.createdAt - Date.now()) < 60_000);
      a.close();
    });

    test('named versions, the text at any version, and who may name', async () => {
      const docId = 'hist-named';
      const a = await Editor.join('alice', 'alice-nv', docId);
      await a.edit((d) => d.insert('body', 0, 'first'));
      await a.edit((d) => d.insert('body', 5, ' second'));
      const named = await rest.post<Revision>(docPath(docId, '/versions'), { name: 'Draft ✅' });
      assert.equal(named.status, 201);
      assert.deepEqual([named.body.version, named.body.name, named.body.createdBy], [2, 'Draft ✅', 'alice']);
      assert.equal((await rest.post(docPath(docId, '/versions'), { name: 'Start', version: 1 })).status, 201);
      await a.edit((d) => d.insert('body', 0, '> '));
      assert.equal(await textAt(docId, 0), '');
      assert.equal(await textAt(docId, 1), 'first');
      assert.equal(await textAt(docId, 2), 'first second');
      assert.equal(await textAt(docId, 3), '> first second');
      assert.equal(await textAt(docId, 1), 'first', 'a cached answer is the same');
      const list = await revisions(docId);
      assert.deepEqual(
        list.map((r) => [r.kind, r.version, r.name ?? null]),
        [
          ['checkpoint', 3, null],
          ['named', 2, 'Draft ✅'],
          ['named', 1, 'Start'],
        ],
      );
      const limited = await rest.get<{ revisions: Revision[] }>(docPath(docId, '/revisions?limit=1&before=3'));
      assert.deepEqual(limited.body.revisions.map((r) => r.version), [2]);

      const missing = await rest.get<RestErrorBody>(docPath(docId, '/versions/4'));
      assert.equal(missing.status, 404);
      assert.match(missing.body.error.message, /no version 4; its latest is 3/);
      assert.equal((await rest.post(docPath(docId, '/versions'), { name: 'future', version: 99 })).status, 404);
      assert.equal((await rest.post(docPath(docId, '/versions'), { name: '   ' })).status, 400);
      await rest.put(docPath(docId, '/collaborators/cora'), { level: 'commenter' });
      const commenter = rest.as('cora');
      assert.equal((await commenter.get(docPath(docId, '/versions/1'))).status, 200);
      assert.equal((await commenter.post(docPath(docId, '/versions'), { name: 'nope' })).status, 403);
      a.close();
    });

    test('the diff between two versions names the users who wrote and deleted each span', async () => {
      const docId = 'hist-diff';
      const a = await Editor.join('alice', 'alice-df', docId);
      const base = await a.edit((d) => d.insert('body', 0, 'The quick fox'));
      await rest.put(docPath(docId, '/collaborators/bob'), { level: 'editor' });
      const b = await Editor.join('bob', 'bob-df', docId);
      assert.equal(b.text, 'The quick fox');
      await b.edit((d) => d.insert('body', 9, ' brown'));
      await b.edit((d) => d.delete('body', 0, 4));
      await a.catchUp();
      await a.catchUp();
      const last = await a.edit((d) => d.insert('body', d.textLength('body'), '!'));
      assert.equal(a.text, 'quick brown fox!');

      const diff = await rest.get<{ from: number; to: number; text: string; segments: Segment[] }>(docPath(docId, `/diff?from=${base}&to=${last}`));
      assert.equal(diff.status, 200);
      assert.deepEqual([diff.body.from, diff.body.to, diff.body.text], [base, last, 'body']);
      assert.deepEqual(diff.body.segments, [
        { kind: 'delete', text: 'The ', authors: ['bob'] },
        { kind: 'equal', text: 'quick' },
        { kind: 'insert', text: ' brown', authors: ['bob'] },
        { kind: 'equal', text: ' fox' },
        { kind: 'insert', text: '!', authors: ['alice'] },
      ]);
      // From the empty document everything is an insert, by whoever typed it.
      const all = await rest.get<{ segments: Segment[] }>(docPath(docId, '/diff?from=0'));
      assert.deepEqual(all.body.segments, [
        { kind: 'insert', text: 'quick', authors: ['alice'] },
        { kind: 'insert', text: ' brown', authors: ['bob'] },
        { kind: 'insert', text: ' fox!', authors: ['alice'] },
      ]);
      assert.equal((await rest.get(docPath(docId, `/diff?from=${last}&to=${base}`))).status, 400);
      assert.equal((await rest.get(docPath(docId, `/diff?from=0&to=${last + 1}`))).status, 404);
      const checkpoint = (await revisions(docId)).find((r) => r.kind === 'checkpoint');
      assert.deepEqual(checkpoint?.authors, ['alice', 'bob']);
      a.close();
      b.close();
    });

    test('restore brings the old text back as a new version; clients receive it as a remote operation; history is kept', async () => {
      const docId = 'hist-restore';
      const a = await Editor.join('alice', 'alice-rs', docId);
      const good = await a.edit((d) => d.insert('body', 0, 'Good text'));
      await rest.put(docPath(docId, '/collaborators/carol'), { level: 'editor' });
      const bad = await a.edit((d) => d.delete('body', 0, 5));
      assert.equal(a.text, 'text');
      const restored = await rest.as('carol').post<{ version: number; restoredFrom: number; changed: boolean }>(docPath(docId, '/restore'), { version: good });
      assert.equal(restored.status, 200);
      assert.deepEqual(restored.body, { id: docId, version: bad + 1, restoredFrom: good, changed: true });
      const remote = await a.catchUp();
      assert.equal(remote.userId, 'carol');
      assert.equal(remote.version, bad + 1);
      assert.equal(a.text, 'Good text');
      assert.equal((await rest.get<{ text: string; version: number }>(docPath(docId))).body.text, 'Good text');
      // Every version is still there.
      assert.equal(await textAt(docId, good), 'Good text');
      assert.equal(await textAt(docId, bad), 'text');
      assert.equal(await textAt(docId, bad + 1), 'Good text');
      const diff = await rest.get<{ segments: Segment[] }>(docPath(docId, `/diff?from=${bad}`));
      assert.deepEqual(diff.body.segments, [
        { kind: 'insert', text: 'Good ', authors: ['carol'] },
        { kind: 'equal', text: 'text' },
      ]);
      // Restoring what is already there changes nothing.
      const noop = await rest.post<{ version: number; changed: boolean }>(docPath(docId, '/restore'), { version: good });
      assert.deepEqual([noop.body.version, noop.body.changed], [bad + 1, false]);
      assert.equal((await rest.post(docPath(docId, '/restore'), { version: 999 })).status, 404);
      a.close();
    });
  });
}

function registerAgentBindingTests(): void {
  describe('agent binding', () => {
    test("events under another user's agent are refused with PERMISSION_DENIED and change nothing", async () => {
      const docId = 'agents-forged';
      const a = await Editor.join('alice', 'alice-own', docId);
      await a.edit((d) => d.insert('body', 0, 'mine'));
      await rest.put(docPath(docId, '/collaborators/mallory'), { level: 'editor' });
      // Mallory builds events as if she were alice's replica.
      const m = await Editor.join('mallory', 'alice-own', docId);
      const forged = m.doc.insert('body', 0, 'FORGED ')!;
      const refused = await m.send([forged]);
      assert.equal(refused.type, 'error');
      assert.equal(refused.type === 'error' ? refused.code : '', 'PERMISSION_DENIED');
      assert.match(refused.type === 'error' ? refused.message : '', /alice-own/);
      const now = await rest.get<{ text: string; version: number }>(docPath(docId));
      assert.deepEqual([now.body.text, now.body.version], ['mine', 1]);
      // Resending alice's own, already stored event is harmless and allowed.
      const resend = await m.send(m.doc.events().filter((e) => e.id.agent === 'alice-own' && e.id.seq === 0));
      assert.equal(resend.type, 'operation_ack');
      // Mallory's own agent works, and is hers from now on: alice cannot take it either.
      const own = await Editor.join('mallory', 'mallory-own', docId);
      await own.edit((d) => d.insert('body', 4, '!'));
      const alice2 = await Editor.join('alice', 'mallory-own', docId);
      const taken = await alice2.send([alice2.doc.insert('body', 0, 'x')!]);
      assert.equal(taken.type, 'error');
      // alice's real replica still works.
      await a.catchUp();
      await a.edit((d) => d.insert('body', 0, '> '));
      assert.equal((await rest.get<{ text: string }>(docPath(docId))).body.text, '> mine!');
      for (const e of [a, m, own, alice2]) e.close();
    });
  });
}
