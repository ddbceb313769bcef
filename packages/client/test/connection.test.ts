/**
 * The connection against a real server: the status an app sees through a server restart,
 * `online` / `offline` hints (a hint never drops a working link; `online` retries at once instead
 * of waiting out a long backoff), metrics, and a refused login that is not retried.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionStatus, NetworkHints } from '../src/index.js';
import { makeClient } from './support/clients.js';
import { TestServer } from './support/test-server.js';
import { waitUntil } from './support/wait.js';

let server: TestServer;
before(async () => {
  server = await TestServer.start();
});
after(async () => {
  await server.stop();
});

/** A stand-in for a browser window's online / offline events. */
class FakeNetwork extends EventTarget implements NetworkHints {
  fire(type: 'online' | 'offline'): void {
    this.dispatchEvent(new Event(type));
  }
}

describe('connection', () => {
  test('status through a server restart; hints; metrics', async () => {
    const network = new FakeNetwork();
    const client = makeClient(server.url, 'olga', { network, backoff: { baseMs: 20_000, capMs: 20_000 }, heartbeatMs: 50 });
    const seen: ConnectionStatus[] = [];
    client.on('status', (s) => seen.push(s));
    try {
      const doc = await client.open('conn-1');
      await doc.whenSynced(10_000);
      assert.equal(client.status, 'connected');
      doc.text().insert(0, 'abc');
      await doc.whenSynced(10_000);

      // "offline" while the link works: only a hint, the link stays.
      network.fire('offline');
      await waitUntil('a few heartbeats answered', () => client.metrics.rtt.count >= 3);
      assert.equal(client.status, 'connected');

      // The server goes away; with a 20 s backoff only the `online` hint brings the client back soon.
      await server.halt();
      await waitUntil('the client noticed', () => client.status !== 'connected');
      await server.resume();
      network.fire('online');
      await waitUntil('reconnected at once on `online`', () => client.status === 'connected', { timeoutMs: 5_000 });
      await doc.whenSynced(10_000);
      doc.text().insert(3, 'd');
      await doc.whenSynced(10_000);
      assert.equal((await server.text('conn-1')).text, 'abcd');

      const m = client.metrics;
      assert.equal(m.reconnects, 1);
      assert.equal(m.transport, 'websocket');
      assert.ok(m.bytesIn > 0 && m.bytesOut > 0);
      assert.ok(m.rtt.p50 !== undefined && m.rtt.p99 !== undefined && m.rtt.p50 <= m.rtt.p99);
      assert.ok(m.eventRoundTrip.count >= 2);
      assert.ok(seen.includes('reconnecting') || seen.includes('offline'));
      assert.equal(seen[seen.length - 1], 'connected');
    } finally {
      await client.close();
    }
    assert.equal(client.status, 'offline');
    assert.equal(client.metrics.transport, 'none');
  });

  test('a server that lost its data (restored from an old backup) gets everything back from the client', async () => {
    const client = makeClient(server.url, 'petra');
    try {
      const doc = await client.open('lost-1');
      await doc.whenSynced(10_000);
      doc.text().insert(0, 'kept by the client');
      doc.map('meta').set('title', 'Notes');
      await doc.whenSynced(10_000);
      assert.equal(doc.serverVersion, 2);
      await server.wipe();
      await waitUntil('the client noticed', () => client.status !== 'connected');
      await server.resume();
      // The client resumes with since=2, which the empty server does not know: it resyncs from
      // scratch and sends the events the server lost.
      await waitUntil('the server has the client’s document again', () => doc.synced && client.status === 'connected', { timeoutMs: 10_000 });
      const onServer = await server.text('lost-1');
      assert.equal(onServer.text, 'kept by the client');
      assert.equal(onServer.version, 2);
      doc.text().insert(0, '> ');
      await doc.whenSynced(10_000);
      assert.equal((await server.text('lost-1')).text, '> kept by the client');
    } finally {
      await client.close();
    }
  });

  test('a server that lost data and took new edits meanwhile: the gap is found and both sides merge', async () => {
    const ann = makeClient(server.url, 'ann');
    const cid = makeClient(server.url, 'cid', { autoConnect: false });
    try {
      const a = await ann.open('gap-1');
      await a.whenSynced(10_000);
      a.text().insert(0, 'ann');
      await a.whenSynced(10_000);
      await server.wipe();
      await waitUntil('ann noticed', () => ann.status !== 'connected');
      ann.disconnect();
      await server.resume();
      // cid is first on the empty server: it writes three events, so the server is at version 3,
      // past ann's `since` of 1; catching up from 1 would hand ann events whose parents she lacks.
      cid.connect();
      const c = await cid.open('gap-1');
      await c.whenSynced(10_000);
      c.text().insert(0, 'c');
      c.text().insert(1, 'i');
      c.text().insert(2, 'd');
      await c.whenSynced(10_000);
      await server.server.services.permissions.grant('gap-1', 'cid', 'ann', 'editor');
      ann.connect();
      await waitUntil('both converge with the server', () => a.synced && c.synced && a.text().toString() === c.text().toString() && a.text().length === 6, {
        timeoutMs: 10_000,
        describe: () => `ann "${a.text().toString()}" (${a.pendingCount} pending), cid "${c.text().toString()}"`,
      });
      assert.equal((await server.text('gap-1')).text, a.text().toString());
      assert.equal((await server.text('gap-1')).version, 4);
    } finally {
      await Promise.all([ann.close(), cid.close()]);
    }
  });

  test('a refused login is final: no reconnect loop', async () => {
    const strict = await TestServer.start({ auth: { mode: 'hs256', secret: 'x'.repeat(40) } });
    const client = makeClient(strict.url, 'mallory', { token: 'not-a-jwt', autoConnect: false });
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.message));
    let attempts = 0;
    client.on('attempt', () => attempts++);
    client.connect();
    try {
      await waitUntil('the client gave up', () => client.status === 'offline' && errors.some((e) => e.includes('for good')));
      assert.equal(attempts, 1);
    } finally {
      await client.close();
      await strict.stop();
    }
  });
});
