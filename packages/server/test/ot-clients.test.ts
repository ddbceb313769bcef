/**
 * Plain OT clients that speak only JSON: each keeps one pending operation, applies remote
 * operations after transforming them against it (remote first on ties), and must end with the
 * server's text. Seeded rounds of concurrent inserts (often at the same spot) and deletes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, transform } from '@tandem/core';
import type { TextOp } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';
import type { RunningServer } from './support/test-server.js';
import { Rng } from '@tandem/test-random';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

let srv: RunningServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.stop();
});

/** The classic OT client: text, server version, at most one op in flight. */
class OtClient {
  text = '';
  version = 0;
  private seq = 0;
  constructor(
    readonly c: TestClient,
    readonly docId: string,
  ) {}

  /** Sends `op` (on the current text) and waits for its ack, folding in remote ops that come first. */
  async edit(op: TextOp): Promise<void> {
    this.text = apply(this.text, op);
    let pending = op;
    const operationId = `op-${++this.seq}`;
    this.c.send({ type: 'operation', docId: this.docId, operationId, version: this.version, operations: pending });
    for (;;) {
      const m = await this.c.next((x) => (x.type === 'operation_ack' && x.operationId === operationId) || x.type === 'remote_operation' || x.type === 'error');
      if (m.type === 'error') throw new Error(`server refused ${operationId}: ${m.code} ${m.message}`);
      if (m.type === 'operation_ack') {
        this.version = m.version;
        return;
      }
      if (m.type === 'remote_operation' && 'operations' in m) {
        const remote = transform(m.operations, pending, 'left');
        pending = transform(pending, m.operations, 'right');
        this.text = apply(this.text, remote);
        this.version = m.version;
      }
    }
  }

  /** Applies remote ops that arrived while idle. */
  drain(): void {
    for (;;) {
      const i = this.c.received.findIndex((x) => x.type === 'remote_operation');
      if (i < 0) return;
      const m = this.c.received.splice(i, 1)[0] as Of<'remote_operation'>;
      if ('operations' in m) {
        this.text = apply(this.text, m.operations);
        this.version = m.version;
      }
    }
  }
}

/** The shared mulberry32 generator as a plain function, so a failing case can be replayed from its seed. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

test('two OT clients typing concurrently (same spot included) end with the server text', async () => {
  const seed = Number(process.env['TANDEM_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  const r = rng(seed);
  const docId = `ot-ties-${seed}`;
  const ca = await TestClient.hello(srv.url, 'ann');
  ca.send({ type: 'join_session', docId, mode: 'ot' });
  await ca.next((m) => m.type === 'session_joined');
  await srv.server.services.permissions.grant(docId, 'ann', 'ben', 'editor');
  const cb = await TestClient.hello(srv.url, 'ben');
  cb.send({ type: 'join_session', docId, mode: 'ot' });
  await cb.next((m) => m.type === 'session_joined');
  const a = new OtClient(ca, docId);
  const b = new OtClient(cb, docId);
  await a.edit([{ type: 'insert', content: 'hello world' }]);
  b.drain();
  for (let round = 0; round < 25; round++) {
    // Both edit the text they have, concurrently.
    const spot = Math.floor(r() * (a.text.length + 1));
    const opFor = (who: OtClient, letter: string): TextOp => {
      const len = who.text.length;
      if (r() < 0.7 || len === 0) {
        const at = r() < 0.6 ? Math.min(spot, len) : Math.floor(r() * (len + 1));
        return at > 0 ? [{ type: 'retain', length: at }, { type: 'insert', content: letter.repeat(1 + Math.floor(r() * 3)) }] : [{ type: 'insert', content: letter }];
      }
      const at = Math.floor(r() * len);
      const n = 1 + Math.floor(r() * Math.min(3, len - at));
      return at > 0 ? [{ type: 'retain', length: at }, { type: 'delete', length: n }] : [{ type: 'delete', length: n }];
    };
    await Promise.all([a.edit(opFor(a, 'A')), b.edit(opFor(b, 'B'))]);
    a.drain();
    b.drain();
  }
  const check = await TestClient.hello(srv.url, 'ann');
  check.send({ type: 'join_session', docId, mode: 'ot' });
  const joined = await check.next<Of<'session_joined'>>((m) => m.type === 'session_joined');
  const server = joined.content?.['body'] ?? '';
  // Settle: apply what is still on its way until both are at the server's version.
  const deadline = Date.now() + 5_000;
  while ((a.version < joined.version || b.version < joined.version) && Date.now() < deadline) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    a.drain();
    b.drain();
  }
  assert.equal(a.version, joined.version);
  assert.equal(b.version, joined.version);
  assert.equal(a.text, server, `seed ${seed}: ann diverged`);
  assert.equal(b.text, server, `seed ${seed}: ben diverged`);
  ca.close();
  cb.close();
  check.close();
});

test('a commit that changes no text still moves an OT client to the new version', async () => {
  const docId = 'ot-map-only';
  const ot = await TestClient.hello(srv.url, 'ann');
  ot.send({ type: 'join_session', docId, mode: 'ot' });
  const joined = await ot.next<Of<'session_joined'>>((m) => m.type === 'session_joined');
  assert.equal(joined.version, 0);
  const ev = await TestClient.hello(srv.url, 'ann');
  ev.send({ type: 'join_session', docId });
  await ev.next((m) => m.type === 'session_joined');
  const { Doc, agentId } = await import('@tandem/core');
  const d = new Doc({ agent: agentId('ann-events') });
  ev.send({ type: 'operation', docId, operationId: 'map-1', events: [d.setKey('meta', 'title', 'Plan')] });
  await ev.next((m) => m.type === 'operation_ack');
  const bump = await ot.next<Of<'remote_operation'>>((m) => m.type === 'remote_operation');
  assert.equal(bump.version, 1);
  assert.ok('operations' in bump);
  assert.deepEqual(bump.operations, []);
  ot.close();
  ev.close();
});
