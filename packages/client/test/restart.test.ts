/**
 * A process restart with unsent edits: a client edits offline with a FileStorage, closes (as a
 * process would exit), and a new client on the same folder — a fresh agent, a fresh connection —
 * shows the edits at once, sends them once after the restart, and a third start sends nothing.
 * Also: the file store's atomic writes and its refusal of damaged files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { Doc, agentId } from '@tandem/core';
import { FileStorage } from '../src/node.js';
import { makeClient } from './support/clients.js';
import { FaultProxy } from './support/fault-proxy.js';
import { Rng, testSeed } from './support/random.js';
import { TestServer } from './support/test-server.js';
import { waitUntil } from './support/wait.js';

let server: TestServer;
let folder: string;
before(async () => {
  server = await TestServer.start();
  folder = mkdtempSync(join(tmpdir(), 'tandem-client-store-'));
});
after(async () => {
  await server.stop();
  rmSync(folder, { recursive: true, force: true });
});

/** A `ws` WebSocket that counts the events it sends in `operation` messages. */
function countingWebSocket(counter: { events: number; operations: number }): typeof WebSocket {
  return class CountingWebSocket extends WebSocket {
    override send(data: unknown, ...rest: unknown[]): void {
      if (typeof data === 'string') {
        const message = JSON.parse(data) as { type?: string; events?: unknown[] };
        if (message.type === 'operation') {
          counter.operations++;
          counter.events += message.events?.length ?? 0;
        }
      }
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  };
}

describe('restart with unsent events in the file store', () => {
  test('edits made offline are loaded and sent once after a restart', async () => {
    const rng = new Rng(testSeed('restart'));
    const proxy = await FaultProxy.start(server.port, rng);
    const docId = 'restart-1';
    const first = makeClient(proxy.url, 'rita', { storage: new FileStorage(folder), random: rng.fork() });
    const offlineEdits = 60;
    let expected: string;
    try {
      const doc = await first.open(docId);
      await doc.whenSynced(10_000);
      doc.text().insert(0, 'online.');
      await doc.whenSynced(10_000);
      proxy.setDown(true);
      await waitUntil('offline', () => first.status !== 'connected');
      for (let i = 0; i < offlineEdits; i++) doc.text().insert(doc.text().length, String(i % 10));
      assert.equal(doc.pendingCount, offlineEdits);
      expected = doc.text().toString();
    } finally {
      // Closing flushes the store, as the last write before a process exits would have.
      await first.close();
    }
    const onDisk = await new FileStorage(folder).loadPending(docId);
    assert.equal(onDisk.length, offlineEdits, 'the unsent events are on disk');
    assert.deepEqual(readdirSync(folder).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left behind');

    proxy.setDown(false);
    const sent = { events: 0, operations: 0 };
    const second = makeClient(proxy.url, 'rita', { storage: new FileStorage(folder), WebSocket: countingWebSocket(sent) });
    try {
      const doc = await second.open(docId);
      assert.equal(doc.text().toString(), expected, 'the restarted client shows the edits before any network');
      assert.equal(doc.pendingCount, offlineEdits);
      await doc.whenSynced(10_000);
      const onServer = await server.text(docId);
      assert.equal(onServer.text, expected);
      assert.equal(onServer.version, 1 + offlineEdits, 'each event stored once');
      assert.equal(sent.events, offlineEdits, 'each restored event sent once');
    } finally {
      await second.close();
    }
    assert.deepEqual(await new FileStorage(folder).loadPending(docId), [], 'nothing pending once acknowledged');

    const again = { events: 0, operations: 0 };
    const third = makeClient(proxy.url, 'rita', { storage: new FileStorage(folder), WebSocket: countingWebSocket(again) });
    try {
      const doc = await third.open(docId);
      assert.equal(doc.text().toString(), expected, 'the last server state was saved');
      await doc.whenSynced(10_000);
      assert.equal(again.events, 0, 'a third start sends nothing');
      assert.equal((await server.text(docId)).version, 1 + offlineEdits);
    } finally {
      await third.close();
      await proxy.stop();
    }
  });

  test('the file store round-trips, replaces atomically, and ignores damaged files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-file-store-'));
    try {
      const store = new FileStorage(join(dir, 'nested'));
      const doc = new Doc({ agent: agentId('agent-1') });
      const e1 = doc.insert('body', 0, 'hé😀')!;
      const e2 = doc.insert('body', 0, 'x')!;
      const weirdId = 'a/b\\..:*?"<>|'.repeat(30);
      await Promise.all([store.savePending(weirdId, [e1]), store.savePending(weirdId, [e1, e2])]);
      assert.deepEqual(await store.loadPending(weirdId), [e1, e2], 'writes to one file apply in order');
      await store.saveServerState(weirdId, { serverVersion: 7, snapshot: doc.encode() });
      const state = await store.loadServerState(weirdId);
      assert.equal(state?.serverVersion, 7);
      assert.equal(Doc.decode(state!.snapshot, { agent: 'x' }).getText('body'), 'xhé😀');
      assert.deepEqual(await store.loadPending('other'), []);
      assert.equal(await store.loadServerState('other'), undefined);
      const files = readdirSync(join(dir, 'nested'));
      for (const f of files) writeFileSync(join(dir, 'nested', f), f.endsWith('.json') ? '{"docId":1}' : 'garbage');
      assert.deepEqual(await store.loadPending(weirdId), [], 'a file for another id is not ours');
      assert.equal(await store.loadServerState(weirdId), undefined);
      for (const f of files) if (f.endsWith('.json')) writeFileSync(join(dir, 'nested', f), '{"docId": "tr');
      assert.deepEqual(await store.loadPending(weirdId), [], 'a damaged file does not stop the document from opening');
      assert.ok(readdirSync(join(dir, 'nested')).some((f) => f.includes('.damaged-')), 'and is kept aside for recovery');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
