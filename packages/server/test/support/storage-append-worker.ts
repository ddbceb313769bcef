/**
 * A worker thread that appends runs of events to one document of a SQLite file through its own
 * SqliteStore: several of these at once are several processes contending for SQLite's write
 * lock, which a single-threaded test cannot produce (better-sqlite3 calls never interleave).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { docId } from '@tandem/core';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { textRun } from './storage-fixtures.js';

export interface AppendWorkerInput {
  readonly path: string;
  readonly doc: string;
  readonly agent: string;
  readonly batches: number;
  readonly batchSize: number;
}

/** What the worker reports: the versions it was given, in order. */
export interface AppendWorkerOutput {
  readonly versions: number[];
}

async function main(input: AppendWorkerInput): Promise<AppendWorkerOutput> {
  const store = SqliteStore.open(input.path, { busyTimeoutMs: 20_000 });
  const versions: number[] = [];
  try {
    for (let i = 0; i < input.batches; i++) {
      const result = await store.appendEvents(docId(input.doc), textRun(input.agent, i * input.batchSize, input.batchSize));
      versions.push(...result.stored.map((s) => s.version));
    }
  } finally {
    await store.close();
  }
  return { versions };
}

// A failure rejects the top-level await, which ends the thread with an 'error' event the test sees.
if (parentPort !== null) parentPort.postMessage(await main(workerData as AppendWorkerInput));
