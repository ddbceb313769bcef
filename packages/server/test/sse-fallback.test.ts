/**
 * The HTTP fallback for clients whose WebSocket upgrades are refused: server-sent events down,
 * POST up, the same protocol. A raw HTTP client does the handshake, joins, edits and receives
 * another client's edit; a POST for an unknown stream is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Doc, agentId } from '@tandem/core';
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

/** A client on the SSE + POST channel that records what arrives and waits with deadlines. */
class SseClient {
  sid = '';
  readonly received: ServerMessage[] = [];
  private waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  private res: IncomingMessage | undefined;

  async open(base: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const req = request(`${base}/sse`, { headers: { accept: 'text/event-stream' } }, (res) => {
        this.res = res;
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (data === undefined) continue;
            if (event === 'session') {
              this.sid = (JSON.parse(data) as { sid: string }).sid;
              resolve();
            } else if (event === undefined) {
              const m = JSON.parse(data) as ServerMessage;
              this.received.push(m);
              const w = this.waiters.findIndex((x) => x.match(m));
              if (w >= 0) this.waiters.splice(w, 1)[0]!.resolve(m);
            }
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  post(base: string, messages: unknown): Promise<number> {
    return new Promise((resolve, reject) => {
      const body = JSON.stringify(messages);
      const req = request(`${base}/rpc?sid=${encodeURIComponent(this.sid)}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  next<T extends ServerMessage>(match: (m: ServerMessage) => boolean, ms = 5000): Promise<T> {
    const seen = this.received.find(match);
    if (seen !== undefined) {
      this.received.splice(this.received.indexOf(seen), 1);
      return Promise.resolve(seen as T);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching SSE message within ${ms} ms`)), ms);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          this.received.splice(this.received.indexOf(m), 1);
          resolve(m as T);
        },
      });
    });
  }

  close(): void {
    this.res?.destroy();
  }
}

test('a client without WebSockets syncs over SSE + POST with the same protocol', async () => {
  const docId = 'sse-1';
  const sse = new SseClient();
  await sse.open(srv.http);
  assert.ok(sse.sid.length > 10);
  assert.equal(await sse.post(srv.http, [{ type: 'hello', protocols: [1], devUser: { id: 'sam' } }]), 204);
  const welcome = await sse.next<Extract<ServerMessage, { type: 'welcome' }>>((m) => m.type === 'welcome');
  assert.equal(welcome.user.id, 'sam');
  await sse.post(srv.http, { type: 'join_session', docId });
  await sse.next((m) => m.type === 'session_joined');
  const d = new Doc({ agent: agentId('sam-1') });
  await sse.post(srv.http, { type: 'operation', docId, operationId: 'o1', events: [d.insert('body', 0, 'over sse')!] });
  const ack = await sse.next<Extract<ServerMessage, { type: 'operation_ack' }>>((m) => m.type === 'operation_ack');
  assert.equal(ack.version, 1);
  // A WebSocket client on the same document sees the edit, and its edit reaches the SSE client.
  await srv.server.services.permissions.grant(docId, 'sam', 'wes', 'editor');
  const ws = await TestClient.hello(srv.url, 'wes');
  ws.send({ type: 'join_session', docId });
  const joined = await ws.next<Extract<ServerMessage, { type: 'session_joined' }>>((m) => m.type === 'session_joined');
  const w = new Doc({ agent: agentId('wes-1') });
  w.receive(joined.events ?? []);
  assert.equal(w.getText('body'), 'over sse');
  ws.send({ type: 'operation', docId, operationId: 'w1', events: [w.insert('body', 8, '!')!] });
  const remote = await sse.next<Extract<ServerMessage, { type: 'remote_operation' }>>((m) => m.type === 'remote_operation');
  assert.ok('events' in remote);
  d.receive(remote.events);
  assert.equal(d.getText('body'), 'over sse!');
  // Bad input over POST gets the same error codes.
  await sse.post(srv.http, { type: 'teleport' });
  assert.equal((await sse.next<Extract<ServerMessage, { type: 'error' }>>((m) => m.type === 'error')).code, 'UNKNOWN_TYPE');
  sse.close();
  ws.close();
});

test('a POST for an unknown stream is refused with 404', async () => {
  const stray = new SseClient();
  stray.sid = 'no-such-stream';
  assert.equal(await stray.post(srv.http, { type: 'ping', t: 1 }), 404);
});
