/**
 * A document load that fails or hangs, over real sockets (the server's store wrapped so its loads
 * fail or wait on demand): joins get STORAGE_UNAVAILABLE or wait, the real content is served once
 * storage recovers, and neither an empty document nor an empty snapshot ever replaces the real one.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Doc, agentId, docId as toDocId } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { openStore } from '../src/storage/open-store.js';
import { LoadFault, faultyStore } from './support/fault-store.js';
import { rebuild } from './support/event-log.js';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';
import type { RunningServer } from './support/test-server.js';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;
const isType =
  (type: ServerMessage['type']) =>
  (m: ServerMessage): boolean =>
    m.type === type;

async function joinAs(url: string, userId: string, docId: string, mode: 'events' | 'ot', since?: number): Promise<Of<'session_joined'> | Of<'error'>> {
  const c = await TestClient.hello(url, userId);
  try {
    c.send({ type: 'join_session', docId, mode, ...(since !== undefined ? { since } : {}) });
    return await c.next<Of<'session_joined'> | Of<'error'>>((m) => m.type === 'session_joined' || m.type === 'error', 10_000);
  } finally {
    c.close();
  }
}

describe('failed and slow document loads', () => {
  /** A database with one real document, written by a server that then shut down cleanly. */
  async function seeded(): Promise<{ dir: string; storage: string; version: number; text: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-faults-'));
    const storage = `sqlite:${join(dir, 'faults.db')}`;
    const srv = await startTestServer({ storage });
    try {
      const c = await TestClient.hello(srv.url, 'owner');
      c.send({ type: 'join_session', docId: 'precious' });
      await c.next(isType('session_joined'));
      const d = new Doc({ agent: agentId('owner-1') });
      const events = [d.insert('body', 0, 'real content')!, d.insert('body', 12, ', kept')!];
      c.send({ type: 'operation', docId: 'precious', operationId: 'seed', events });
      const ack = await c.next<Of<'operation_ack'>>(isType('operation_ack'));
      c.close();
      return { dir, storage, version: ack.version, text: d.getText('body') };
    } finally {
      await srv.stop();
    }
  }

  async function withFaultyServer(body: (srv: RunningServer, fault: LoadFault, seed: { storage: string; version: number; text: string }) => Promise<void>): Promise<void> {
    const seed = await seeded();
    const fault = new LoadFault();
    try {
      const srv = await startTestServer({ storage: seed.storage }, { store: faultyStore(await openStore(seed.storage), fault) });
      try {
        await body(srv, fault, seed);
      } finally {
        fault.release();
        await srv.stop();
      }
      // What is stored is still the real document, and a plain server serves it.
      const store = await openStore(seed.storage);
      try {
        assert.equal(await store.head(toDocId('precious')), seed.version, 'no event was lost or added');
        const snapshot = await store.loadSnapshot(toDocId('precious'));
        if (snapshot !== undefined) assert.equal(Doc.decode(snapshot.bytes, { agent: agentId('check') }).getText('body'), seed.text, 'no empty snapshot was saved');
      } finally {
        await store.close();
      }
      const plain = await startTestServer({ storage: seed.storage });
      try {
        const ot = await joinAs(plain.url, 'owner', 'precious', 'ot');
        assert.ok(ot.type === 'session_joined' && ot.content?.['body'] === seed.text, 'the real content survives');
      } finally {
        await plain.stop();
      }
    } finally {
      rmSync(seed.dir, { recursive: true, force: true });
    }
  }

  test('a failing load answers STORAGE_UNAVAILABLE, never an empty document; recovery serves the real one', async () => {
    await withFaultyServer(async (srv, fault, seed) => {
      for (const only of [undefined, 'loadSnapshot', 'loadEvents'] as const) {
        fault.only = only;
        fault.mode = 'fail';
        for (const mode of ['events', 'ot'] as const) {
          const r = await joinAs(srv.url, 'owner', 'precious', mode);
          assert.equal(r.type, 'error', `${mode} join while ${only ?? 'all loads'} fail`);
          if (r.type === 'error') {
            assert.equal(r.code, 'STORAGE_UNAVAILABLE');
            assert.equal(r.docId, 'precious');
          }
        }
      }
      assert.ok(fault.faults >= 6);
      fault.mode = 'pass';
      const ot = await joinAs(srv.url, 'owner', 'precious', 'ot');
      assert.ok(ot.type === 'session_joined');
      assert.equal(ot.version, seed.version);
      assert.equal(ot.content?.['body'], seed.text);
      const ev = await joinAs(srv.url, 'owner', 'precious', 'events');
      assert.ok(ev.type === 'session_joined');
      assert.equal(rebuild(ev.events ?? []).getText('body'), seed.text);
    });
  });

  test('a catch-up read that fails (join with since, request_sync) answers STORAGE_UNAVAILABLE', async () => {
    await withFaultyServer(async (srv, fault) => {
      const c = await TestClient.hello(srv.url, 'owner');
      try {
        c.send({ type: 'join_session', docId: 'precious' });
        await c.next(isType('session_joined'));
        fault.only = 'loadEvents';
        fault.mode = 'fail';
        c.send({ type: 'request_sync', docId: 'precious', since: 1 });
        const e1 = await c.next<Of<'error'>>(isType('error'));
        assert.equal(e1.code, 'STORAGE_UNAVAILABLE');
        const r = await joinAs(srv.url, 'owner', 'precious', 'events', 1);
        assert.ok(r.type === 'error');
        assert.equal(r.code, 'STORAGE_UNAVAILABLE');
        fault.mode = 'pass';
        c.send({ type: 'request_sync', docId: 'precious', since: 1 });
        assert.equal((await c.next<Of<'sync'>>(isType('sync'))).events?.length, 1);
      } finally {
        c.close();
      }
    });
  });

  test('a hanging load makes joins wait, then serves the real content to all of them', async () => {
    await withFaultyServer(async (srv, fault, seed) => {
      fault.mode = 'hang';
      const waiting = await Promise.all([TestClient.hello(srv.url, 'owner'), TestClient.hello(srv.url, 'owner')]);
      try {
        waiting[0]!.send({ type: 'join_session', docId: 'precious' });
        waiting[1]!.send({ type: 'join_session', docId: 'precious', mode: 'ot' });
        await fault.hanging();
        // Another connection's round trip: the server is alive and has answered nothing to the joiners.
        const other = await TestClient.hello(srv.url, 'owner');
        other.send({ type: 'ping', t: 1 });
        await other.next(isType('pong'));
        other.close();
        for (const w of waiting) assert.deepEqual(w.received.filter((m) => m.type === 'session_joined' || m.type === 'error'), []);
        fault.release();
        const ev = await waiting[0]!.next<Of<'session_joined'>>(isType('session_joined'));
        const ot = await waiting[1]!.next<Of<'session_joined'>>(isType('session_joined'));
        assert.equal(ev.version, seed.version);
        assert.equal(rebuild(ev.events ?? []).getText('body'), seed.text);
        assert.equal(ot.content?.['body'], seed.text);
      } finally {
        for (const w of waiting) w.close();
      }
    });
  });
});
