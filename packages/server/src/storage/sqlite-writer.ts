/**
 * The SQLite store's write queue: group commit across documents. Writes queue up and run as one
 * batch (one transaction, one disk sync), each under its own savepoint so one failing write fails
 * alone. A write's promise settles only after its batch's COMMIT returned, i.e. once it is durable.
 *
 * For a database file the batches run on a writer thread (sqlite-writer-worker.ts) with its own
 * connection, so the main thread is never blocked on the disk; writes made while a batch commits
 * form the next one. An in-memory database cannot be shared with a thread, so its batches run
 * inline: the writes of one event-loop turn form a batch.
 */
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { StoreError, StoreErrorCode } from './store-error.js';
import { fromWireError, WriteBatchRunner } from './sqlite-writes.js';
import type { WireError, WriteOp, WriteOutcome, WriteValue } from './sqlite-writes.js';

/** Messages to the writer thread. */
export type ToWriter = { readonly type: 'batch'; readonly id: number; readonly ops: readonly WriteOp[] } | { readonly type: 'close' };
/** Messages from the writer thread. */
export type FromWriter =
  | { readonly type: 'done'; readonly id: number; readonly outcomes: readonly WriteOutcome[] }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError }
  | { readonly type: 'open-failed'; readonly error: WireError }
  | { readonly type: 'closed' };
/** What the writer thread is started with. */
export interface WriterData {
  readonly path: string;
  readonly busyTimeoutMs: number;
}

export interface WriteQueue {
  /** Resolves with the write's result once it is committed; rejects with its error. */
  run(op: WriteOp): Promise<WriteValue>;
  /** Commits (or fails) every write queued so far, then stops. */
  close(): Promise<void>;
}

interface Pending {
  readonly op: WriteOp;
  resolve(value: WriteValue): void;
  reject(err: unknown): void;
}

function settle(batch: readonly Pending[], outcomes: readonly WriteOutcome[]): void {
  batch.forEach((p, i) => {
    const o = outcomes[i];
    if (o === undefined) p.reject(new StoreError(StoreErrorCode.Corrupt, `the writer returned ${outcomes.length} outcomes for ${batch.length} writes`));
    else if (o.ok) p.resolve(o.value);
    else p.reject(fromWireError(o.error));
  });
}

/** Batches run on the main thread, one per event-loop turn. */
export class InlineWriteQueue implements WriteQueue {
  private pending: Pending[] = [];
  private scheduled = false;
  private readonly runner: WriteBatchRunner;

  constructor(db: Database.Database) {
    this.runner = new WriteBatchRunner(db);
  }

  run(op: WriteOp): Promise<WriteValue> {
    return new Promise<WriteValue>((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the current turn's I/O callbacks and promise jobs, so every write they made joins.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let outcomes: WriteOutcome[];
    try {
      outcomes = this.runner.run(batch.map((p) => p.op));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    settle(batch, outcomes);
  }

  async close(): Promise<void> {
    this.flush();
  }
}

/** Batches run on a writer thread; one in flight at a time, the next gathering meanwhile. */
export class WorkerWriteQueue implements WriteQueue {
  private readonly worker: Worker;
  private pending: Pending[] = [];
  private inFlight: { readonly id: number; readonly batch: readonly Pending[] } | undefined;
  private scheduled = false;
  private nextId = 1;
  /** Set once the thread can no longer write: every later write fails with it. */
  private broken: Error | undefined;
  private closing: { resolve: () => void; promise: Promise<void> } | undefined;
  private closedSignal: (() => void) | undefined;

  constructor(path: string, busyTimeoutMs: number) {
    const data: WriterData = { path, busyTimeoutMs };
    this.worker = new Worker(new URL('./sqlite-writer-worker.js', import.meta.url), { workerData: data });
    // Only pending writes keep the process alive (ref'd while there are some).
    this.worker.unref();
    this.worker.on('message', (m: FromWriter) => this.onMessage(m));
    this.worker.on('error', (err) => this.breakDown(err));
    this.worker.on('exit', (code) => {
      this.breakDown(new StoreError(StoreErrorCode.Closed, `the SQLite writer thread exited (code ${code})`));
      this.closedSignal?.();
    });
  }

  run(op: WriteOp): Promise<WriteValue> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return new Promise<WriteValue>((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      this.worker.ref();
      this.schedule();
    });
  }

  /** Sends the pending writes after this turn, unless a batch is in flight (they go when it ends). */
  private schedule(): void {
    if (this.scheduled || this.inFlight !== undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    if (this.inFlight !== undefined || this.pending.length === 0) {
      this.idleCheck();
      return;
    }
    const batch = this.pending;
    this.pending = [];
    const id = this.nextId++;
    this.inFlight = { id, batch };
    const message: ToWriter = { type: 'batch', id, ops: batch.map((p) => p.op) };
    this.worker.postMessage(message);
  }

  private onMessage(m: FromWriter): void {
    if (m.type === 'open-failed') {
      this.breakDown(fromWireError(m.error));
      return;
    }
    if (m.type === 'closed') return;
    const flight = this.inFlight;
    if (flight === undefined || flight.id !== m.id) return;
    this.inFlight = undefined;
    if (m.type === 'done') settle(flight.batch, m.outcomes);
    else for (const p of flight.batch) p.reject(fromWireError(m.error));
    // Whatever arrived during that commit goes at once: it has waited a whole commit already.
    this.send();
  }

  /** Fails everything queued or in flight; later writes fail too. */
  private breakDown(err: Error): void {
    if (this.broken === undefined) this.broken = err;
    const failed = [...(this.inFlight?.batch ?? []), ...this.pending];
    this.inFlight = undefined;
    this.pending = [];
    for (const p of failed) p.reject(this.broken);
    this.idleCheck();
  }

  /** Lets the process exit once nothing is queued; finishes a close that waited for that. */
  private idleCheck(): void {
    if (this.inFlight !== undefined || this.pending.length > 0) return;
    this.worker.unref();
    this.closing?.resolve();
  }

  async close(): Promise<void> {
    if (this.closing === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.closing = { resolve, promise };
      this.idleCheck();
    }
    await this.closing.promise;
    if (this.broken !== undefined) return;
    this.broken = new StoreError(StoreErrorCode.Closed, 'the SQLite store is closed');
    const exited = new Promise<void>((r) => (this.closedSignal = r));
    this.worker.ref();
    const message: ToWriter = { type: 'close' };
    this.worker.postMessage(message);
    await exited;
  }
}
