/**
 * SqliteWriteBatch: the SQLite store's group commit across documents. Every write the store is
 * asked for during one turn of the event loop runs in one transaction, so many documents' appends
 * (and agent bindings, snapshots, checkpoints) share one commit and one disk sync instead of one
 * each. Each write runs under its own savepoint, so a write that fails (a conflicting event, a bad
 * argument) is rolled back alone and the others still commit. Every promise settles only after the
 * transaction's COMMIT returned, i.e. after the data is durable: a caller may acknowledge on resolve.
 */
import type Database from 'better-sqlite3';

interface Pending {
  readonly work: () => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** What one write of a batch came to, kept until the whole batch committed. */
type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

export class SqliteWriteBatch {
  private pending: Pending[] = [];
  private scheduled = false;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;

  constructor(private readonly db: Database.Database) {
    // IMMEDIATE takes the write lock before anything is read, so no other process can take the
    // same version of a document between our read of its head and our write.
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT batch_item');
    this.release = db.prepare('RELEASE batch_item');
    this.rollbackTo = db.prepare('ROLLBACK TO batch_item');
  }

  /**
   * Runs `work` (synchronous statements) inside the next batch transaction; resolves with its
   * result once that transaction is committed, rejects with what `work` threw (only its own
   * changes are undone) or with the error that failed the whole transaction.
   */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the current turn's I/O callbacks and microtasks, so every write they made joins.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now (also called on close, so nothing queued is dropped). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.runBatch(batch);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }

  /** One transaction for the batch; throws (having rolled back) if it cannot be committed. */
  private runBatch(batch: readonly Pending[]): Outcome[] {
    this.begin.run();
    const outcomes: Outcome[] = [];
    try {
      for (const p of batch) {
        this.savepoint.run();
        try {
          const value = p.work();
          this.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          // Some errors (disk full, I/O) make SQLite roll the whole transaction back itself:
          // then nothing of the batch is stored, and every write of it must fail.
          if (!this.db.inTransaction) throw error;
          this.rollbackTo.run();
          this.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      this.commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.rollback.run();
      throw err;
    }
    return outcomes;
  }
}
