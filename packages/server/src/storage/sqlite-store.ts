/**
 * SqliteStore: the embedded DocStore, on one SQLite file through better-sqlite3. WAL mode lets
 * readers run while one writer commits; `synchronous = FULL` makes every commit reach the disk
 * before the call resolves, so an acknowledged event survives a crash or power loss. Several
 * processes may open the same file: writes take SQLite's write lock up front (BEGIN IMMEDIATE)
 * and wait for it up to the busy timeout. better-sqlite3 is synchronous: reads run on the calling
 * thread; writes are validated there, then queued (sqlite-writer.ts) and committed in batches
 * whatever their documents, one transaction and one disk sync per batch, each write under its own
 * savepoint, on a writer thread for a database file so the disk never blocks the event loop.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { DocId, Event } from '@tandem/core';
import type {
  AgentBinding,
  AppendResult,
  Checkpoint,
  DocStore,
  DocumentInfo,
  Level,
  NamedVersion,
  NewShareLink,
  PermissionEntry,
  RoomMember,
  ShareLink,
  Snapshot,
  StoredEvent,
} from './doc-store.js';
import { fromRow, toRowJson } from './event-records.js';
import { migrateSqlite } from './sqlite-schema.js';
import { InlineWriteQueue, WorkerWriteQueue } from './sqlite-writer.js';
import type { WriteQueue } from './sqlite-writer.js';
import type { AppendOutcome, WriteOp } from './sqlite-writes.js';
import { StoreError, StoreErrorCode } from './store-error.js';
import { authorsFromDb, authorsToDb, checkId, checkLevel, checkLimit, checkText, checkTime, checkVersion, levelFromDb, show } from './store-input.js';

export interface SqliteStoreOptions {
  /** How long a write waits for another process's write lock before failing. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * Commit on a writer thread with its own connection (default for a database file), so the disk
   * sync of a commit never blocks the event loop; false commits on the calling thread. An
   * in-memory database always commits on the calling thread.
   */
  readonly writerThread?: boolean;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

interface EventRow { version: number; agent: string; seq: number; event: string }
interface SnapshotRow { version: number; bytes: Buffer }
interface DocumentRow { id: string; owner: string; created_at: number }
interface PermissionRow { user_id: string; level: string }
interface ShareLinkRow {
  token: string;
  doc: string;
  level: string;
  expires_at: number | null;
  created_by: string;
  created_at: number;
  revoked_at: number | null;
}
interface NamedVersionRow { version: number; name: string; created_by: string; created_at: number }
interface RoomMemberRow { user_id: string; last_seen: number }
interface CheckpointRow { version: number; created_at: number; authors: string }

/** Every read the store runs, prepared once when the store opens (writes: sqlite-writes.ts). */
function prepareStatements(db: Database.Database) {
  return {
    getHead: db.prepare<[string], { head: number }>('SELECT head FROM doc_heads WHERE doc = ?'),
    loadEvents: db.prepare<[string, number, number], EventRow>(
      'SELECT version, agent, seq, event FROM events WHERE doc = ? AND version > ? ORDER BY version LIMIT ?',
    ),
    loadSnapshot: db.prepare<[string], SnapshotRow>('SELECT version, bytes FROM snapshots WHERE doc = ?'),
    getDocument: db.prepare<[string], DocumentRow>('SELECT id, owner, created_at FROM documents WHERE id = ?'),
    listDocuments: db.prepare<[string, string], DocumentRow>(
      `SELECT id, owner, created_at FROM documents d
       WHERE d.owner = ? OR EXISTS (SELECT 1 FROM permissions p WHERE p.doc = d.id AND p.user_id = ?)
       ORDER BY created_at, id`,
    ),
    getPermission: db.prepare<[string, string], { level: string }>('SELECT level FROM permissions WHERE doc = ? AND user_id = ?'),
    listPermissions: db.prepare<[string], PermissionRow>('SELECT user_id, level FROM permissions WHERE doc = ? ORDER BY user_id'),
    getShareLink: db.prepare<[string], ShareLinkRow>('SELECT * FROM share_links WHERE token = ?'),
    listShareLinks: db.prepare<[string], ShareLinkRow>('SELECT * FROM share_links WHERE doc = ? ORDER BY created_at, token'),
    listNamedVersions: db.prepare<[string], NamedVersionRow>(
      'SELECT version, name, created_by, created_at FROM named_versions WHERE doc = ? ORDER BY version',
    ),
    agentBindings: db.prepare<[string], { agent: string; user_id: string }>(
      'SELECT agent, user_id FROM agent_bindings WHERE doc = ? ORDER BY agent',
    ),
    listCheckpoints: db.prepare<[string], CheckpointRow>('SELECT version, created_at, authors FROM checkpoints WHERE doc = ? ORDER BY version'),
    roomMembers: db.prepare<[string], RoomMemberRow>(
      'SELECT user_id, last_seen FROM room_members WHERE room = ? ORDER BY last_seen DESC, user_id',
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

function toDocumentInfo(r: DocumentRow): DocumentInfo {
  return { id: r.id as DocId, owner: r.owner, createdAt: r.created_at };
}

function toShareLink(r: ShareLinkRow): ShareLink {
  return {
    token: r.token,
    doc: r.doc as DocId,
    level: levelFromDb(r.level),
    expiresAt: r.expires_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
    revoked: r.revoked_at !== null,
    revokedAt: r.revoked_at,
  };
}

/** A Uint8Array view of a Buffer, so callers get the plain type the interface promises. */
function toBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export class SqliteStore implements DocStore {
  private readonly db: Database.Database;
  private readonly statements: Statements;
  /** Group commit across documents: writes queue up and commit in batches. */
  private readonly writes: WriteQueue;
  private closed = false;

  /**
   * Opens (creating as needed, folders included) the database at `path`, or a private in-memory
   * one for ':memory:', and migrates its schema.
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new StoreError(StoreErrorCode.InvalidArgument, `busyTimeoutMs must be a non-negative integer, got ${show(busyTimeoutMs)}`);
    }
    if (typeof path !== 'string' || path.length === 0) {
      throw new StoreError(StoreErrorCode.InvalidArgument, `SQLite path must be a non-empty string, got ${show(path)}`);
    }
    const inMemory = path === ':memory:';
    if (!inMemory) mkdirSync(dirname(resolve(path)), { recursive: true });
    const db = new Database(path, { timeout: busyTimeoutMs });
    try {
      // WAL: readers never block the writer and a commit is one append to the log. FULL: the
      // log is synced at every commit, the price of "acknowledged means durable".
      if (!inMemory) db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      migrateSqlite(db);
      const writes = inMemory || options.writerThread === false ? new InlineWriteQueue(db) : new WorkerWriteQueue(resolve(path), busyTimeoutMs);
      return new SqliteStore(db, writes);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  private constructor(db: Database.Database, writes: WriteQueue) {
    this.db = db;
    this.statements = prepareStatements(db);
    this.writes = writes;
  }

  /** Queues a write after the store-open check; see WriteQueue. */
  private write(op: WriteOp): ReturnType<WriteQueue['run']> {
    this.live();
    return this.writes.run(op);
  }

  /** The statements, or a rejection once closed (better-sqlite3 would throw a less clear error). */
  private live(): Statements {
    if (this.closed) throw new StoreError(StoreErrorCode.Closed, 'the SQLite store is closed');
    return this.statements;
  }

  async appendEvents(doc: DocId, events: readonly Event[]): Promise<AppendResult> {
    const d = checkId(doc, 'document id');
    if (!Array.isArray(events)) throw new StoreError(StoreErrorCode.InvalidArgument, `events must be an array, got ${show(events)}`);
    const records = events.map(toRowJson);
    const s = this.live();
    if (records.length === 0) return { stored: [], duplicates: 0, head: s.getHead.get(d)?.head ?? 0 };
    const plan = (await this.write({
      kind: 'append',
      doc: d,
      records: records.map((r) => ({ agent: r.agent, seq: r.seq, json: r.json })),
    })) as AppendOutcome;
    return { stored: plan.rows.map((r) => ({ version: r.version, event: records[r.index]!.event })), duplicates: plan.duplicates, head: plan.head };
  }

  async loadEvents(doc: DocId, after: number, limit?: number): Promise<StoredEvent[]> {
    const d = checkId(doc, 'document id');
    const from = checkVersion(after, 'after');
    // SQLite reads LIMIT -1 as "no limit".
    const max = limit === undefined ? -1 : checkLimit(limit);
    return this.live()
      .loadEvents.all(d, from, max)
      .map((r) => fromRow(r.version, r.event, r.agent, r.seq));
  }

  async head(doc: DocId): Promise<number> {
    const d = checkId(doc, 'document id');
    return this.live().getHead.get(d)?.head ?? 0;
  }

  async saveSnapshot(doc: DocId, snapshot: Snapshot): Promise<void> {
    const d = checkId(doc, 'document id');
    const version = checkVersion(snapshot.version, 'snapshot version');
    if (!(snapshot.bytes instanceof Uint8Array)) {
      throw new StoreError(StoreErrorCode.InvalidArgument, `snapshot bytes must be a Uint8Array, got ${show(snapshot.bytes)}`);
    }
    // A copy: the caller may reuse its buffer once this resolves, and the write may run later.
    await this.write({ kind: 'saveSnapshot', doc: d, version, bytes: Uint8Array.from(snapshot.bytes) });
  }

  async loadSnapshot(doc: DocId): Promise<Snapshot | undefined> {
    const d = checkId(doc, 'document id');
    const row = this.live().loadSnapshot.get(d);
    return row === undefined ? undefined : { version: row.version, bytes: toBytes(row.bytes) };
  }

  async createDocument(doc: DocId, owner: string, createdAt: number = Date.now()): Promise<boolean> {
    const d = checkId(doc, 'document id');
    const o = checkId(owner, 'owner');
    const at = checkTime(createdAt, 'createdAt');
    return (await this.write({ kind: 'createDocument', doc: d, owner: o, at })) === true;
  }

  async getDocument(doc: DocId): Promise<DocumentInfo | undefined> {
    const d = checkId(doc, 'document id');
    const row = this.live().getDocument.get(d);
    return row === undefined ? undefined : toDocumentInfo(row);
  }

  async listDocuments(user: string): Promise<DocumentInfo[]> {
    const u = checkId(user, 'user id');
    return this.live().listDocuments.all(u, u).map(toDocumentInfo);
  }

  async setPermission(doc: DocId, user: string, level: Level | null): Promise<void> {
    const d = checkId(doc, 'document id');
    const u = checkId(user, 'user id');
    await this.write({ kind: 'setPermission', doc: d, user: u, level: level === null ? null : checkLevel(level) });
  }

  async getPermission(doc: DocId, user: string): Promise<Level | undefined> {
    const d = checkId(doc, 'document id');
    const u = checkId(user, 'user id');
    const row = this.live().getPermission.get(d, u);
    return row === undefined ? undefined : levelFromDb(row.level);
  }

  async listPermissions(doc: DocId): Promise<PermissionEntry[]> {
    const d = checkId(doc, 'document id');
    return this.live()
      .listPermissions.all(d)
      .map((r) => ({ user: r.user_id, level: levelFromDb(r.level) }));
  }

  async createShareLink(doc: DocId, link: NewShareLink): Promise<void> {
    const d = checkId(doc, 'document id');
    const token = checkId(link.token, 'share link token');
    const level = checkLevel(link.level);
    const expiresAt = link.expiresAt === null ? null : checkTime(link.expiresAt, 'expiresAt');
    const createdBy = checkId(link.createdBy, 'createdBy');
    const createdAt = checkTime(link.createdAt ?? Date.now(), 'createdAt');
    if ((await this.write({ kind: 'createShareLink', token, doc: d, level, expiresAt, createdBy, createdAt })) === 0) {
      throw new StoreError(StoreErrorCode.Duplicate, 'a share link with this token already exists');
    }
  }

  async getShareLink(token: string): Promise<ShareLink | undefined> {
    const t = checkId(token, 'share link token');
    const row = this.live().getShareLink.get(t);
    return row === undefined ? undefined : toShareLink(row);
  }

  async listShareLinks(doc: DocId): Promise<ShareLink[]> {
    const d = checkId(doc, 'document id');
    return this.live().listShareLinks.all(d).map(toShareLink);
  }

  async revokeShareLink(token: string, at: number = Date.now()): Promise<boolean> {
    const t = checkId(token, 'share link token');
    const when = checkTime(at, 'revokedAt');
    return ((await this.write({ kind: 'revokeShareLink', token: t, at: when })) as number) > 0;
  }

  async nameVersion(doc: DocId, named: NamedVersion): Promise<void> {
    const d = checkId(doc, 'document id');
    const version = checkVersion(named.version, 'version');
    const name = checkText(named.name, 'version name');
    const createdBy = checkId(named.createdBy, 'createdBy');
    const createdAt = checkTime(named.createdAt, 'createdAt');
    await this.write({ kind: 'nameVersion', doc: d, version, name, createdBy, createdAt });
  }

  async listNamedVersions(doc: DocId): Promise<NamedVersion[]> {
    const d = checkId(doc, 'document id');
    return this.live()
      .listNamedVersions.all(d)
      .map((r) => ({ version: r.version, name: r.name, createdBy: r.created_by, createdAt: r.created_at }));
  }

  async bindAgent(doc: DocId, agent: string, user: string): Promise<string> {
    const d = checkId(doc, 'document id');
    const a = checkId(agent, 'agent id');
    const u = checkId(user, 'user id');
    const bound = await this.write({ kind: 'bindAgent', doc: d, agent: a, user: u });
    if (typeof bound !== 'string') throw new StoreError(StoreErrorCode.Corrupt, `agent ${show(a)} of document ${show(d)} vanished while binding`);
    return bound;
  }

  async agentBindings(doc: DocId): Promise<AgentBinding[]> {
    const d = checkId(doc, 'document id');
    return this.live()
      .agentBindings.all(d)
      .map((r) => ({ agent: r.agent, user: r.user_id }));
  }

  async addCheckpoint(doc: DocId, checkpoint: Checkpoint): Promise<void> {
    const d = checkId(doc, 'document id');
    const version = checkVersion(checkpoint.version, 'checkpoint version');
    const createdAt = checkTime(checkpoint.createdAt, 'createdAt');
    const authors = authorsToDb(checkpoint.authors);
    await this.write({ kind: 'addCheckpoint', doc: d, version, createdAt, authors });
  }

  async listCheckpoints(doc: DocId): Promise<Checkpoint[]> {
    const d = checkId(doc, 'document id');
    return this.live()
      .listCheckpoints.all(d)
      .map((r) => ({ version: r.version, createdAt: r.created_at, authors: authorsFromDb(r.authors) }));
  }

  async touchRoomMember(room: string, user: string, at: number): Promise<void> {
    const r = checkId(room, 'room id');
    const u = checkId(user, 'user id');
    const when = checkTime(at, 'at');
    await this.write({ kind: 'touchRoomMember', room: r, user: u, at: when });
  }

  async roomMembers(room: string): Promise<RoomMember[]> {
    const r = checkId(room, 'room id');
    return this.live()
      .roomMembers.all(r)
      .map((row) => ({ user: row.user_id, lastSeen: row.last_seen }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Writes already accepted are committed (or fail) before the database goes.
    await this.writes.close();
    this.db.close();
  }
}
