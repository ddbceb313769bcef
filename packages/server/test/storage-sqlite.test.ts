/**
 * The DocStore contract against SQLite (a file in a temporary folder, removed afterwards), plus
 * what only SQLite has: WAL on disk, the schema version table, in-memory databases, real
 * contention between threads for the write lock, and the storage URL opener.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { docId } from '@tandem/core';
import { openStore } from '../src/storage/open-store.js';
import { SQLITE_SCHEMA_VERSION } from '../src/storage/sqlite-schema.js';
import { SqliteStore } from '../src/storage/sqlite-store.js';
import { runDocStoreContract } from './storage-contract.js';
import type { AppendWorkerInput, AppendWorkerOutput } from './support/storage-append-worker.js';
import { textRun, uniqueId } from './support/storage-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-storage-'));
// Nested folders that do not exist yet: opening must create them.
const contractPath = join(dir, 'nested', 'deeper', 'contract.db');

runDocStoreContract('SQLite', () => openStore(`sqlite:${contractPath}`), async () => {
  rmSync(dir, { recursive: true, force: true });
});

// The same contract with commits on the calling thread instead of the writer thread.
const inlineDir = mkdtempSync(join(tmpdir(), 'tandem-storage-inline-'));
runDocStoreContract('SQLite, commits on the calling thread', async () => SqliteStore.open(join(inlineDir, 'inline.db'), { writerThread: false }), async () => {
  rmSync(inlineDir, { recursive: true, force: true });
});

describe('SqliteStore specifics', () => {
  const ownDir = mkdtempSync(join(tmpdir(), 'tandem-storage-sqlite-'));
  after(() => rmSync(ownDir, { recursive: true, force: true }));

  test('the file is in WAL mode and records its schema version', async () => {
    const path = join(ownDir, 'wal.db');
    const store = SqliteStore.open(path);
    await store.appendEvents(docId('d'), textRun('a', 0, 1));
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.deepEqual(db.prepare('SELECT version FROM schema_version').all(), [{ version: SQLITE_SCHEMA_VERSION }]);
    } finally {
      db.close();
    }
  });

  test('writes started just before close are committed, not dropped', async () => {
    const path = join(ownDir, 'close-flush.db');
    const store = SqliteStore.open(path);
    const docs = [docId('x'), docId('y'), docId('z')];
    const appends = docs.map((d, i) => store.appendEvents(d, textRun(`agent-${i}`, 0, i + 1)));
    await store.close();
    assert.deepEqual((await Promise.all(appends)).map((r) => r.head), [1, 2, 3]);
    const reopened = SqliteStore.open(path);
    try {
      assert.deepEqual(await Promise.all(docs.map((d) => reopened.head(d))), [1, 2, 3]);
    } finally {
      await reopened.close();
    }
  });

  test('a database from a newer release is refused, not modified', async () => {
    const path = join(ownDir, 'future.db');
    await SqliteStore.open(path).close();
    const db = new Database(path);
    db.prepare('UPDATE schema_version SET version = 99').run();
    db.close();
    assert.throws(() => SqliteStore.open(path), { code: 'ERR_STORE_CORRUPT' });
  });

  test('sqlite::memory: opens a private database each time', async () => {
    const a = await openStore('sqlite::memory:');
    const b = await openStore('sqlite::memory:');
    await a.appendEvents(docId('d'), textRun('x', 0, 2));
    assert.equal(await a.head(docId('d')), 2);
    assert.equal(await b.head(docId('d')), 0);
    await a.close();
    await b.close();
  });

  test('threads appending to one document at once get unique gap-free versions', async () => {
    const path = join(ownDir, 'threads.db');
    await SqliteStore.open(path).close(); // create the schema before the race
    const doc = uniqueId('doc');
    const threads = 4;
    const batches = 25;
    const batchSize = 3;
    const workerUrl = new URL('./support/storage-append-worker.js', import.meta.url);
    const runs = Array.from({ length: threads }, (_, i) => {
      const input: AppendWorkerInput = { path, doc, agent: `thread-${i}`, batches, batchSize };
      return new Promise<AppendWorkerOutput>((resolve, reject) => {
        const worker = new Worker(workerUrl, { workerData: input });
        worker.once('message', (out: AppendWorkerOutput) => resolve(out));
        worker.once('error', reject);
        worker.once('exit', (code) => {
          if (code !== 0) reject(new Error(`append worker ${i} exited with code ${code}`));
        });
      });
    });
    const outputs = await Promise.all(runs);
    const total = threads * batches * batchSize;
    const versions = outputs.flatMap((o) => o.versions).sort((x, y) => x - y);
    assert.deepEqual(versions, Array.from({ length: total }, (_, i) => i + 1));
    const store = SqliteStore.open(path);
    try {
      const log = await store.loadEvents(docId(doc), 0);
      assert.equal(log.length, total);
      assert.equal(await store.head(docId(doc)), total);
      assert.equal(new Set(log.map((s) => `${s.event.id.agent}:${s.event.id.seq}`)).size, total);
    } finally {
      await store.close();
    }
  });
});

describe('openStore', () => {
  test('anything but sqlite: or postgres:// is refused, naming the URL', async () => {
    for (const url of ['mysql://db/x', 'sqlite', 'sqlite:', 'file:/tmp/x.db', '', 'postgres:/missing-slashes']) {
      await assert.rejects(openStore(url), (e: unknown) => {
        assert.ok(e instanceof Error && 'code' in e && e.code === 'ERR_UNSUPPORTED_STORE_URL', String(e));
        assert.ok(e.message.includes(`"${url}"`), e.message);
        return true;
      });
    }
  });

  test('a password in a refused URL is not repeated in the error', async () => {
    await assert.rejects(openStore('mysql://admin:hunter2@db/x'), (e: unknown) => {
      assert.ok(e instanceof Error && !e.message.includes('hunter2') && e.message.includes('mysql://admin:***@db/x'), String(e));
      return true;
    });
  });
});
