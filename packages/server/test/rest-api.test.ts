/**
 * Integration tests of the REST API over a real server (port 0, SQLite in a temp folder): reading
 * and writing documents with the version precondition, permissions (a viewer's write is refused
 * and changes nothing), sharing (grants and links, a revoked link no longer admits), awkward ids,
 * and bad requests (bad JSON, oversized bodies, unknown routes, no user).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Doc, agentId } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { docPath, RestClient } from './support/rest-client.js';
import type { RestErrorBody } from './support/rest-client.js';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';
import type { RunningServer } from './support/test-server.js';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

const MAX_BODY = 16 * 1024;

let srv: RunningServer;
let alice: RestClient;
let n = 0;
const freshId = (label: string): string => `${label}-${++n}`;

before(async () => {
  srv = await startTestServer({ limits: { maxBodyBytes: MAX_BODY } });
  alice = new RestClient(srv.http, 'alice');
});
after(async () => {
  await srv.stop();
});

interface DocBody {
  id: string;
  level: string;
  version: number;
  text: string;
  texts: Record<string, string>;
  maps: Record<string, unknown>;
  collaborators: { live: { userId: string }[]; grants: { user: string; level: string }[] };
}

async function create(client: RestClient, id: string, text?: string): Promise<number> {
  const r = await client.post<{ id: string; version: number }>('/api/docs', { id, ...(text !== undefined ? { text } : {}) });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.version;
}

async function join(c: TestClient, docId: string, extra: Record<string, unknown> = {}): Promise<Of<'session_joined'>> {
  c.send({ type: 'join_session', docId, ...extra });
  return c.next<Of<'session_joined'>>((m) => (m.type === 'session_joined' || m.type === 'error') && 'docId' in m && m.docId === docId);
}

describe('documents', () => {
  test('create, read, write with the right version, and 409 with the current version otherwise', async () => {
    const id = freshId('doc');
    const v1 = await create(alice, id, 'Hello world');
    assert.equal(v1, 1);
    const read = await alice.get<DocBody>(docPath(id));
    assert.equal(read.status, 200);
    assert.equal(read.body.text, 'Hello world');
    assert.equal(read.body.version, 1);
    assert.equal(read.body.level, 'owner');
    assert.deepEqual(read.body.texts, { body: 'Hello world' });
    assert.deepEqual(read.body.collaborators.grants, [{ user: 'alice', level: 'owner' }]);

    const put = await alice.put<{ version: number; changed: boolean }>(docPath(id), { text: 'Hello brave world', version: 1 });
    assert.equal(put.status, 200);
    assert.deepEqual({ version: put.body.version, changed: put.body.changed }, { version: 2, changed: true });

    const stale = await alice.put<RestErrorBody>(docPath(id), { text: 'lost update', version: 1 });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.error.code, 'VERSION_CONFLICT');
    assert.equal(stale.body.error['currentVersion'], 2);
    assert.equal((await alice.get<DocBody>(docPath(id))).body.text, 'Hello brave world');

    // Writing the same text again changes nothing and makes no version.
    const same = await alice.put<{ version: number; changed: boolean }>(docPath(id), { text: 'Hello brave world', version: 2 });
    assert.deepEqual({ version: same.body.version, changed: same.body.changed }, { version: 2, changed: false });

    // Other texts of the document are addressed by name.
    const other = await alice.put<{ version: number }>(docPath(id), { text: 'A title', version: 2, name: 'title' });
    assert.equal(other.status, 200);
    assert.deepEqual((await alice.get<DocBody>(docPath(id))).body.texts, { body: 'Hello brave world', title: 'A title' });

    const again = await alice.post<RestErrorBody>('/api/docs', { id });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'ALREADY_EXISTS');
  });

  test('a REST write reaches WebSocket clients as a remote operation, as a minimal edit by the REST user', async () => {
    const id = freshId('live');
    await create(alice, id, 'one two three');
    const ws = await TestClient.hello(srv.url, 'alice');
    const joined = await join(ws, id);
    const replica = new Doc({ agent: agentId('alice-ws') });
    replica.receive(joined.events ?? []);
    assert.equal(replica.getText('body'), 'one two three');
    const live = await alice.get<DocBody>(docPath(id));
    assert.deepEqual(live.body.collaborators.live.map((p) => p.userId), ['alice']);

    const put = await alice.as('alice').put<{ version: number }>(docPath(id), { text: 'one 2 three', version: joined.version });
    assert.equal(put.status, 200);
    const remote = await ws.next<Of<'remote_operation'>>((m) => m.type === 'remote_operation' && m.docId === id);
    assert.equal(remote.userId, 'alice');
    assert.equal(remote.version, put.body.version);
    assert.ok('events' in remote);
    assert.equal(remote.events.length, 1);
    // Minimal: it keeps "one " and " three" and replaces only "two".
    const change = remote.events[0]!.change;
    assert.ok(change.type === 'text');
    assert.deepEqual(change.op, [{ type: 'retain', length: 4 }, { type: 'insert', content: '2' }, { type: 'delete', length: 3 }]);
    replica.receive(remote.events);
    assert.equal(replica.getText('body'), 'one 2 three');
    ws.close();
  });

  test('a viewer may read but not write: 403, and nothing changes', async () => {
    const id = freshId('viewer');
    await create(alice, id, 'read only');
    assert.equal((await alice.put(docPath(id, '/collaborators/victor'), { level: 'viewer' })).status, 200);
    const victor = alice.as('victor');
    assert.equal((await victor.get<DocBody>(docPath(id))).body.level, 'viewer');
    const denied = await victor.put<RestErrorBody>(docPath(id), { text: 'vandalized', version: 1 });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'PERMISSION_DENIED');
    const after = await alice.get<DocBody>(docPath(id));
    assert.deepEqual({ text: after.body.text, version: after.body.version }, { text: 'read only', version: 1 });
    assert.equal((await victor.post(docPath(id, '/restore'), { version: 0 })).status, 403);
    assert.equal((await victor.post(docPath(id, '/versions'), { name: 'mine' })).status, 403);
    assert.equal((await victor.put(docPath(id, '/collaborators/victor'), { level: 'owner' })).status, 403);
    assert.equal((await victor.get(docPath(id, '/links'))).status, 403);
    // A stranger gets 403 too; a document nobody created is 404.
    assert.equal((await alice.as('mallory').get(docPath(id))).status, 403);
    assert.equal((await alice.get(docPath('no-such-doc'))).status, 404);
  });

  test('the document list holds what the caller may access', async () => {
    const mine = freshId('list-mine');
    const shared = freshId('list-shared');
    await create(alice.as('lister'), mine);
    await create(alice, shared);
    await alice.put(docPath(shared, '/collaborators/lister'), { level: 'commenter' });
    const list = await alice.as('lister').get<{ documents: { id: string; level: string; owner: string }[] }>('/api/docs');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.documents.map((d) => [d.id, d.level]),
      [
        [mine, 'owner'],
        [shared, 'commenter'],
      ],
    );
    const created = await alice.as('lister').post<{ id: string }>('/api/docs');
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^[A-Za-z0-9_-]{16}$/);
  });

  test('ids are URL-decoded path segments: "__proto__", slashes, spaces and emoji work', async () => {
    for (const id of ['__proto__', 'constructor', 'a/b c', 'Résumé 📝']) {
      await create(alice, id, `text of ${id}`);
      const r = await alice.get<DocBody>(docPath(id));
      assert.equal(r.status, 200, id);
      assert.equal(r.body.id, id);
      assert.equal(r.body.text, `text of ${id}`);
    }
    assert.equal(({} as Record<string, unknown>)['text'], undefined);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
  });
});

describe('sharing', () => {
  test('grants are listed, changed and removed; the last owner stays', async () => {
    const id = freshId('grants');
    await create(alice, id);
    assert.equal((await alice.put(docPath(id, '/collaborators/bob'), { level: 'editor' })).status, 200);
    assert.equal((await alice.put(docPath(id, '/collaborators/carol'), { level: 'viewer' })).status, 200);
    const list = await alice.as('carol').get<{ collaborators: { user: string; level: string }[] }>(docPath(id, '/collaborators'));
    assert.deepEqual(list.body.collaborators, [
      { user: 'alice', level: 'owner' },
      { user: 'bob', level: 'editor' },
      { user: 'carol', level: 'viewer' },
    ]);
    assert.equal((await alice.delete(docPath(id, '/collaborators/carol'))).status, 204);
    assert.equal((await alice.delete(docPath(id, '/collaborators/carol'))).status, 404);
    assert.equal((await alice.as('carol').get(docPath(id))).status, 403);
    const bad = await alice.put<RestErrorBody>(docPath(id, '/collaborators/bob'), { level: 'admin' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /"admin"/);
    const lastOwner = await alice.delete<RestErrorBody>(docPath(id, '/collaborators/alice'));
    assert.equal(lastOwner.status, 403);
    assert.match(lastOwner.body.error.message, /last owner/);
  });

  test('links are created, listed and revoked; a revoked link no longer admits (REST or WebSocket)', async () => {
    const id = freshId('links');
    await create(alice, id, 'shared by link');
    const made = await alice.post<{ token: string; level: string; expiresAt: number | null; revoked: boolean }>(docPath(id, '/links'), { level: 'viewer' });
    assert.equal(made.status, 201);
    assert.equal(made.body.level, 'viewer');
    assert.equal(made.body.revoked, false);
    const token = made.body.token;
    const expiring = await alice.post<{ expiresAt: number }>(docPath(id, '/links'), { level: 'editor', expiresAt: Date.now() + 60_000 });
    assert.equal(expiring.status, 201);
    const listed = await alice.get<{ links: { token: string; level: string; revoked: boolean }[] }>(docPath(id, '/links'));
    assert.deepEqual(listed.body.links.map((l) => l.level).sort(), ['editor', 'viewer']);
    assert.equal((await alice.post(docPath(id, '/links'), { level: 'owner' })).status, 403);
    assert.equal((await alice.post(docPath(id, '/links'), { level: 'viewer', expiresAt: 5 })).status, 400);

    const guest = alice.as('guest');
    assert.equal((await guest.get(docPath(id))).status, 403);
    const viaLink = await guest.get<DocBody>(`${docPath(id)}?link=${token}`);
    assert.equal(viaLink.status, 200);
    assert.equal(viaLink.body.level, 'viewer');
    assert.equal((await guest.get(docPath(id), { headers: { 'x-tandem-link': token } })).status, 200);
    // The link's level is all it gives: a viewer link cannot write.
    assert.equal((await guest.put(`${docPath(id)}?link=${token}`, { text: 'x', version: 1 })).status, 403);
    const wsGuest = await TestClient.hello(srv.url, 'guest');
    const joined = await join(wsGuest, id, { link: token });
    assert.equal(joined.type, 'session_joined');
    wsGuest.close();

    assert.equal((await alice.delete(docPath(id, `/links/${token}`))).status, 204);
    assert.equal((await alice.delete(docPath(id, '/links/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'))).status, 404);
    assert.equal((await guest.get(`${docPath(id)}?link=${token}`)).status, 403);
    const wsAfter = await TestClient.hello(srv.url, 'guest');
    const refused = (await join(wsAfter, id, { link: token })) as unknown as Of<'error'>;
    assert.equal(refused.type, 'error');
    assert.equal(refused.code, 'PERMISSION_DENIED');
    wsAfter.close();
    const revoked = await alice.get<{ links: { token: string; revoked: boolean }[] }>(docPath(id, '/links'));
    assert.equal(revoked.body.links.find((l) => l.token === token)?.revoked, true);
  });
});

describe('bad requests', () => {
  test('bad JSON is a 400 naming the problem; bad fields are 400s naming the field', async () => {
    const id = freshId('bad');
    await create(alice, id, 'x');
    const r = await alice.put<RestErrorBody>(docPath(id), undefined, { raw: '{"text": "oops", ' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'BAD_REQUEST');
    assert.match(r.body.error.message, /not valid JSON/);
    const cases: [unknown, RegExp][] = [
      [[1, 2], /JSON object/],
      [{ text: 'a', version: -1 }, /version/],
      [{ text: 5, version: 1 }, /text/],
      [{ text: 'lone \ud800', version: 1 }, /surrogate/],
      [{ text: 'a', version: 1, extra: true }, /"extra"/],
      [{ text: 'a', version: 1, name: '' }, /name/],
    ];
    for (const [body, pattern] of cases) {
      const bad = await alice.put<RestErrorBody>(docPath(id), body);
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.match(bad.body.error.message, pattern);
    }
    assert.equal((await alice.put(docPath(id), undefined)).status, 400);
    assert.equal((await alice.get<DocBody>(docPath(id))).body.version, 1);
    const badVersion = await alice.get<RestErrorBody>(docPath(id, '/versions/abc'));
    assert.equal(badVersion.status, 400);
    assert.equal((await alice.get(docPath(id, '/diff'))).status, 400);
  });

  test('a body over the limit is a 413, whether declared or streamed, and changes nothing', async () => {
    const id = freshId('big');
    await create(alice, id, 'small');
    const big = JSON.stringify({ text: 'x'.repeat(MAX_BODY), version: 1 });
    const r = await alice.put<RestErrorBody>(docPath(id), undefined, { raw: big });
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, 'BODY_TOO_LARGE');
    // Without a Content-Length (chunked), the limit is enforced while reading.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = await fetch(`${srv.http}${docPath(id)}`, {
      method: 'PUT',
      headers: { 'x-tandem-user': 'alice', 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413);
    assert.equal(((await streamed.json()) as RestErrorBody).error.code, 'BODY_TOO_LARGE');
    assert.equal((await alice.get<DocBody>(docPath(id))).body.text, 'small');
  });

  test('no user is a 401; unknown routes are 404 and wrong methods 405, all as JSON errors', async () => {
    const anonymous = alice.as(undefined);
    const r = await anonymous.get<RestErrorBody>('/api/docs');
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'UNAUTHENTICATED');
    const missing = await alice.get<RestErrorBody>('/api/nothing-here');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'NOT_FOUND');
    const wrong = await alice.call<RestErrorBody>('PATCH', docPath('x'));
    assert.equal(wrong.status, 405);
    assert.equal(wrong.body.error.code, 'METHOD_NOT_ALLOWED');
    assert.equal(wrong.headers.get('allow'), 'GET, PUT');
    const malformed = await alice.get<RestErrorBody>('/api/docs/%E0%A4%A');
    assert.equal(malformed.status, 400);
    const tooLong = await alice.get<RestErrorBody>(docPath('d'.repeat(257)));
    assert.equal(tooLong.status, 400);
    // The server is still fine.
    assert.equal((await fetch(`${srv.http}/healthz`)).status, 200);
  });
});
