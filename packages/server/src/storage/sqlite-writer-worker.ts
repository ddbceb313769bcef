/**
 * The SQLite store's writer thread: its own connection to the database file, on which it runs the
 * batches of writes the main thread sends (sqlite-writes.ts), one transaction each. The disk sync
 * at every commit blocks this thread only, so the main thread keeps merging, acknowledging and
 * broadcasting meanwhile, and writes that arrive during a commit form the next batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { toWireError, WriteBatchRunner } from './sqlite-writes.js';
import type { WriteOp } from './sqlite-writes.js';
import type { ToWriter, FromWriter, WriterData } from './sqlite-writer.js';

function serve(): void {
  const port = parentPort;
  if (port === null) throw new Error('sqlite-writer-worker.js runs only as a worker thread');
  const data = workerData as WriterData;
  const post = (m: FromWriter): void => port.postMessage(m);
  let db: Database.Database;
  let runner: WriteBatchRunner;
  try {
    db = new Database(data.path, { timeout: data.busyTimeoutMs });
    // The main thread set WAL mode on the file; FULL is per connection: every commit is synced.
    db.pragma('synchronous = FULL');
    runner = new WriteBatchRunner(db);
  } catch (err) {
    post({ type: 'open-failed', error: toWireError(err) });
    return;
  }
  port.on('message', (m: ToWriter) => {
    if (m.type === 'close') {
      db.close();
      post({ type: 'closed' });
      port.close();
      return;
    }
    try {
      post({ type: 'done', id: m.id, outcomes: runner.run(m.ops as WriteOp[]) });
    } catch (err) {
      post({ type: 'failed', id: m.id, error: toWireError(err) });
    }
  });
}

serve();
