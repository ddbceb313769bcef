/**
 * Every write of the SQLite store as plain data (a WriteOp), its statements, and the batch that
 * runs many of them in one transaction: each under its own savepoint, so a write that fails (a
 * conflicting event, a duplicate token) is rolled back alone and the others still commit. Plain
 * data so the batch can run on another thread (sqlite-writer-worker.ts) while the main thread
 * keeps serving; results and errors come back as plain data too (see WriteOutcome).
 */
import type Database from 'better-sqlite3';
import { TandemError, isTandemError, type CoreErrorCode } from '@tandem/core';
import { idKey, planAppend, storedPayload } from './event-records.js';
import { StoreError, isStoreError, type StoreErrorCode } from './store-error.js';

/**
 * An event row to append: what the store computed from the event on the calling thread. Its
 * payload (for comparing resends) is computed here from the JSON text, and only for ids that are
 * already stored or repeated: rarely, so neither thread pays for it on the common path.
 */
export interface RowRecord {
  readonly agent: string;
  readonly seq: number;
  readonly json: string;
}

/** A row with its index in the append and a payload computed on first use. */
function planned(r: RowRecord, index: number): RowRecord & { readonly index: number; readonly payload: string } {
  let payload: string | undefined;
  return {
    agent: r.agent,
    seq: r.seq,
    json: r.json,
    index,
    get payload(): string {
      payload ??= storedPayload(r.json);
      return payload;
    },
  };
}

export type WriteOp =
  | { readonly kind: 'append'; readonly doc: string; readonly records: readonly RowRecord[] }
  | { readonly kind: 'saveSnapshot'; readonly doc: string; readonly version: number; readonly bytes: Uint8Array }
  | { readonly kind: 'createDocument'; readonly doc: string; readonly owner: string; readonly at: number }
  | { readonly kind: 'setPermission'; readonly doc: string; readonly user: string; readonly level: string | null }
  | {
      readonly kind: 'createShareLink';
      readonly token: string;
      readonly doc: string;
      readonly level: string;
      readonly expiresAt: number | null;
      readonly createdBy: string;
      readonly createdAt: number;
    }
  | { readonly kind: 'revokeShareLink'; readonly token: string; readonly at: number }
  | { readonly kind: 'nameVersion'; readonly doc: string; readonly version: number; readonly name: string; readonly createdBy: string; readonly createdAt: number }
  | { readonly kind: 'bindAgent'; readonly doc: string; readonly agent: string; readonly user: string }
  | { readonly kind: 'addCheckpoint'; readonly doc: string; readonly version: number; readonly createdAt: number; readonly authors: string }
  | { readonly kind: 'touchRoomMember'; readonly room: string; readonly user: string; readonly at: number };

/** What an append did: for each new row, the index of its record and its version. */
export interface AppendOutcome {
  readonly rows: readonly { readonly index: number; readonly version: number }[];
  readonly duplicates: number;
  readonly head: number;
}

/** A write's result: the append's outcome, a flag, the changed-row count, or a bound user id. */
export type WriteValue = AppendOutcome | boolean | number | string | null;

/** An error as plain data, so it survives the trip between threads with its class and code. */
export interface WireError {
  readonly kind: 'tandem' | 'store' | 'other';
  readonly code?: string;
  readonly message: string;
}

export type WriteOutcome = { readonly ok: true; readonly value: WriteValue } | { readonly ok: false; readonly error: WireError };

export function toWireError(e: unknown): WireError {
  if (isTandemError(e)) return { kind: 'tandem', code: e.code, message: e.message };
  if (isStoreError(e)) return { kind: 'store', code: e.code, message: e.message };
  const code = (e as { code?: unknown } | null)?.code;
  return { kind: 'other', ...(typeof code === 'string' ? { code } : {}), message: e instanceof Error ? e.message : String(e) };
}

export function fromWireError(w: WireError): Error {
  if (w.kind === 'tandem') return new TandemError(w.code as CoreErrorCode, w.message);
  if (w.kind === 'store') return new StoreError(w.code as StoreErrorCode, w.message);
  return Object.assign(new Error(w.message), w.code !== undefined ? { code: w.code } : {});
}

/** The statements the writes need, prepared once per connection. */
function prepareWrites(db: Database.Database) {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT batch_item'),
    release: db.prepare('RELEASE batch_item'),
    rollbackTo: db.prepare('ROLLBACK TO batch_item'),
    ensureHead: db.prepare<[string]>('INSERT INTO doc_heads (doc, head) VALUES (?, 0) ON CONFLICT (doc) DO NOTHING'),
    getHead: db.prepare<[string], { head: number }>('SELECT head FROM doc_heads WHERE doc = ?'),
    setHead: db.prepare<[number, string]>('UPDATE doc_heads SET head = ? WHERE doc = ?'),
    findEvent: db.prepare<[string, string, number], { event: string }>('SELECT event FROM events WHERE doc = ? AND agent = ? AND seq = ?'),
    insertEvent: db.prepare<[string, number, string, number, string]>('INSERT INTO events (doc, version, agent, seq, event) VALUES (?, ?, ?, ?, ?)'),
    // Only a strictly newer snapshot replaces the stored one, decided inside the one statement so
    // two writers racing cannot put an older snapshot back.
    saveSnapshot: db.prepare<[string, number, Buffer]>(
      `INSERT INTO snapshots (doc, version, bytes) VALUES (?, ?, ?)
       ON CONFLICT (doc) DO UPDATE SET version = excluded.version, bytes = excluded.bytes
       WHERE excluded.version > snapshots.version`,
    ),
    createDocument: db.prepare<[string, string, number]>('INSERT INTO documents (id, owner, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    setPermission: db.prepare<[string, string, string]>(
      'INSERT INTO permissions (doc, user_id, level) VALUES (?, ?, ?) ON CONFLICT (doc, user_id) DO UPDATE SET level = excluded.level',
    ),
    removePermission: db.prepare<[string, string]>('DELETE FROM permissions WHERE doc = ? AND user_id = ?'),
    createShareLink: db.prepare<[string, string, string, number | null, string, number]>(
      `INSERT INTO share_links (token, doc, level, expires_at, created_by, created_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (token) DO NOTHING`,
    ),
    revokeShareLink: db.prepare<[number, string]>('UPDATE share_links SET revoked_at = ? WHERE token = ? AND revoked_at IS NULL'),
    nameVersion: db.prepare<[string, number, string, string, number]>(
      `INSERT INTO named_versions (doc, version, name, created_by, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (doc, version) DO UPDATE SET name = excluded.name, created_by = excluded.created_by, created_at = excluded.created_at`,
    ),
    // The first binder wins: a later bind of the same agent changes nothing and reads the winner.
    bindAgent: db.prepare<[string, string, string]>('INSERT INTO agent_bindings (doc, agent, user_id) VALUES (?, ?, ?) ON CONFLICT (doc, agent) DO NOTHING'),
    agentUser: db.prepare<[string, string], { user_id: string }>('SELECT user_id FROM agent_bindings WHERE doc = ? AND agent = ?'),
    addCheckpoint: db.prepare<[string, number, number, string]>(
      'INSERT INTO checkpoints (doc, version, created_at, authors) VALUES (?, ?, ?, ?) ON CONFLICT (doc, version) DO NOTHING',
    ),
    // max() so a late, out-of-order touch never moves the last-seen time backwards.
    touchRoomMember: db.prepare<[string, string, number]>(
      `INSERT INTO room_members (room, user_id, last_seen) VALUES (?, ?, ?)
       ON CONFLICT (room, user_id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`,
    ),
  };
}

type WriteStatements = ReturnType<typeof prepareWrites>;

/** Runs one write; the caller holds the write lock (inside a batch transaction). */
function applyWrite(s: WriteStatements, op: WriteOp): WriteValue {
  switch (op.kind) {
    case 'append': {
      s.ensureHead.run(op.doc);
      const head = s.getHead.get(op.doc)?.head ?? 0;
      const stored = new Map<string, string>();
      for (const r of op.records) {
        const row = s.findEvent.get(op.doc, r.agent, r.seq);
        if (row !== undefined) stored.set(idKey(r.agent, r.seq), storedPayload(row.event));
      }
      // planAppend throws on a conflict, which rolls back this append (its savepoint) alone.
      const plan = planAppend(op.records.map(planned), stored, head);
      for (const row of plan.rows) s.insertEvent.run(op.doc, row.version, row.record.agent, row.record.seq, row.record.json);
      if (plan.rows.length > 0) s.setHead.run(plan.head, op.doc);
      return { rows: plan.rows.map((r) => ({ index: r.record.index, version: r.version })), duplicates: plan.duplicates, head: plan.head };
    }
    case 'saveSnapshot':
      s.saveSnapshot.run(op.doc, op.version, Buffer.from(op.bytes.buffer, op.bytes.byteOffset, op.bytes.byteLength));
      return null;
    case 'createDocument':
      if (s.createDocument.run(op.doc, op.owner, op.at).changes === 0) return false;
      s.setPermission.run(op.doc, op.owner, 'owner');
      return true;
    case 'setPermission':
      if (op.level === null) s.removePermission.run(op.doc, op.user);
      else s.setPermission.run(op.doc, op.user, op.level);
      return null;
    case 'createShareLink':
      return s.createShareLink.run(op.token, op.doc, op.level, op.expiresAt, op.createdBy, op.createdAt).changes;
    case 'revokeShareLink':
      return s.revokeShareLink.run(op.at, op.token).changes;
    case 'nameVersion':
      s.nameVersion.run(op.doc, op.version, op.name, op.createdBy, op.createdAt);
      return null;
    case 'bindAgent':
      s.bindAgent.run(op.doc, op.agent, op.user);
      return s.agentUser.get(op.doc, op.agent)?.user_id ?? null;
    case 'addCheckpoint':
      s.addCheckpoint.run(op.doc, op.version, op.createdAt, op.authors);
      return null;
    case 'touchRoomMember':
      s.touchRoomMember.run(op.room, op.user, op.at);
      return null;
  }
}

/** Runs batches of writes on one connection (its statements prepared once). */
export class WriteBatchRunner {
  private readonly statements: WriteStatements;
  constructor(private readonly db: Database.Database) {
    this.statements = prepareWrites(db);
  }

  /**
   * Runs the writes in one transaction (BEGIN IMMEDIATE: the write lock is taken before anything
   * is read, so no other process can take a document's next version between our read and our
   * write), each under a savepoint. Returns one outcome per write once COMMIT returned (the data
   * is durable); throws, having rolled back, if the transaction as a whole cannot be committed.
   */
  run(ops: readonly WriteOp[]): WriteOutcome[] {
    return runWriteBatch(this.db, this.statements, ops);
  }
}

function runWriteBatch(db: Database.Database, s: WriteStatements, ops: readonly WriteOp[]): WriteOutcome[] {
  s.begin.run();
  const outcomes: WriteOutcome[] = [];
  try {
    for (const op of ops) {
      s.savepoint.run();
      try {
        const value = applyWrite(s, op);
        s.release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        // Some errors (disk full, I/O) make SQLite roll the whole transaction back itself: then
        // nothing of the batch is stored, and every write of it must fail.
        if (!db.inTransaction) throw error;
        s.rollbackTo.run();
        s.release.run();
        outcomes.push({ ok: false, error: toWireError(error) });
      }
    }
    s.commit.run();
  } catch (err) {
    if (db.inTransaction) {
      try {
        s.rollback.run();
      } catch {
        // The connection reports the original error; a failed rollback adds nothing to it.
      }
    }
    throw err;
  }
  return outcomes;
}
