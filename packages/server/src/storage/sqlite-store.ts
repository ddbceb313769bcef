/**
 * SqliteStore: the embedded DocStore, on one SQLite file through better-sqlite3. WAL mode lets
 * readers run while one writer commits; `synchronous = FULL` makes every commit reach the disk
 * before the call resolves, so an acknowledged event survives a crash or power loss. Several
 * processes may open the same file: writes take SQLite's write lock up front (BEGIN IMMEDIATE)
 * and wait for it up to the busy timeout. better-sqlite3 is synchronous; validation happens before
 * the lock is taken, and the writes of one event-loop turn, whatever their documents, share one
 * transaction and one disk sync (SqliteWriteBatch), each under its own savepoint.
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
import { fromRow, idKey, planAppend, storedPayload, toRecord } from './event-records.js';
import { migrateSqlite } from './sqlite-schema.js';
import { SqliteWriteBatch } from './sqlite-write-batch.js';
import { StoreError, StoreErrorCode } from './store-error.js';
import { authorsFromDb, authorsToDb, checkId, checkLevel, checkLimit, checkText, checkTime, checkVersion, levelFromDb, show } from './store-input.js';

export interface SqliteStoreOptions {
  /** How long a write waits for another process's write lock before failing. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
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

/** Every statement the store runs, prepared once when the store opens. */
function prepareStatements(db: Database.Database) {
  return {
    ensureHead: db.prepare<[string]>('INSERT INTO doc_heads (doc, head) VALUES (?, 0) ON CONFLICT (doc) DO NOTHING'),
    getHead: db.prepare<[string], { head: number }>('SELECT head FROM doc_heads WHERE doc = ?'),
    setHead: db.prepare<[number, string]>('UPDATE doc_heads SET head = ? WHERE doc = ?'),
    findEvent: db.prepare<[string, string, number], { event: string }>('SELECT event FROM events WHERE doc = ? AND agent = ? AND seq = ?'),
    insertEvent: db.prepare<[string, number, string, number, string]>(
      'INSERT INTO events (doc, version, agent, seq, event) VALUES (?, ?, ?, ?, ?)',
    ),
    loadEvents: db.prepare<[string, number, number], EventRow>(
      'SELECT version, agent, seq, event FROM events WHERE doc = ? AND version > ? ORDER BY version LIMIT ?',
    ),
    // Only a strictly newer snapshot replaces the stored one, decided inside the one statement so
    // two writers racing cannot put an older snapshot back.
    saveSnapshot: db.prepare<[string, number, Buffer]>(
      `INSERT INTO snapshots (doc, version, bytes) VALUES (?, ?, ?)
       ON CONFLICT (doc) DO UPDATE SET version = excluded.version, bytes = excluded.bytes
       WHERE excluded.version > snapshots.version`,
    ),
    loadSnapshot: db.prepare<[string], SnapshotRow>('SELECT version, bytes FROM snapshots WHERE doc = ?'),
    createDocument: db.prepare<[string, string, number]>(
      'INSERT INTO documents (id, owner, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
    ),
    getDocument: db.prepare<[string], DocumentRow>('SELECT id, owner, created_at FROM documents WHERE id = ?'),
    listDocuments: db.prepare<[string, string], DocumentRow>(
      `SELECT id, owner, created_at FROM documents d
       WHERE d.owner = ? OR EXISTS (SELECT 1 FROM permissions p WHERE p.doc = d.id AND p.user_id = ?)
       ORDER BY created_at, id`,
    ),
    setPermission: db.prepare<[string, string, string]>(
      'INSERT INTO permissions (doc, user_id, level) VALUES (?, ?, ?) ON CONFLICT (doc, user_id) DO UPDATE SET level = excluded.level',
    ),
    removePermission: db.prepare<[string, string]>('DELETE FROM permissions WHERE doc = ? AND user_id = ?'),
    getPermission: db.prepare<[string, string], { level: string }>('SELECT level FROM permissions WHERE doc = ? AND user_id = ?'),
    listPermissions: db.prepare<[string], PermissionRow>('SELECT user_id, level FROM permissions WHERE doc = ? ORDER BY user_id'),
    createShareLink: db.prepare<[string, string, string, number | null, string, number]>(
      `INSERT INTO share_links (token, doc, level, expires_at, created_by, created_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (token) DO NOTHING`,
    ),
    getShareLink: db.prepare<[string], ShareLinkRow>('SELECT * FROM share_links WHERE token = ?'),
    listShareLinks: db.prepare<[string], ShareLinkRow>('SELECT * FROM share_links WHERE doc = ? ORDER BY created_at, token'),
    revokeShareLink: db.prepare<[number, string]>('UPDATE share_links SET revoked_at = ? WHERE token = ? AND revoked_at IS NULL'),
    nameVersion: db.prepare<[string, number, string, string, number]>(
      `INSERT INTO named_versions (doc, version, name, created_by, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (doc, version) DO UPDATE SET name = excluded.name, created_by = excluded.created_by, created_at = excluded.created_at`,
    ),
    listNamedVersions: db.prepare<[string], NamedVersionRow>(
      'SELECT version, name, created_by, created_at FROM named_versions WHERE doc = ? ORDER BY version',
    ),
    // The first binder wins: a later bind of the same agent changes nothing and reads the winner.
    bindAgent: db.prepare<[string, string, string]>(
      'INSERT INTO agent_bindings (doc, agent, user_id) VALUES (?, ?, ?) ON CONFLICT (doc, agent) DO NOTHING',
    ),
    agentUser: db.prepare<[string, string], { user_id: string }>('SELECT user_id FROM agent_bindings WHERE doc = ? AND agent = ?'),
    agentBindings: db.prepare<[string], { agent: string; user_id: string }>(
      'SELECT agent, user_id FROM agent_bindings WHERE doc = ? ORDER BY agent',
    ),
    addCheckpoint: db.prepare<[string, number, number, string]>(
      'INSERT INTO checkpoints (doc, version, created_at, authors) VALUES (?, ?, ?, ?) ON CONFLICT (doc, version) DO NOTHING',
    ),
    listCheckpoints: db.prepare<[string], CheckpointRow>('SELECT version, created_at, authors FROM checkpoints WHERE doc = ? ORDER BY version'),
    // max() so a late, out-of-order touch never moves the last-seen time backwards.
    touchRoomMember: db.prepare<[string, string, number]>(
      `INSERT INTO room_members (room, user_id, last_seen) VALUES (?, ?, ?)
       ON CONFLICT (room, user_id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`,
    ),
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
  /** Group commit: the writes of one event-loop turn share one transaction. */
  private readonly writes: SqliteWriteBatch;
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
      return new SqliteStore(db);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  private constructor(db: Database.Database) {
    this.db = db;
    this.statements = prepareStatements(db);
    this.writes = new SqliteWriteBatch(db);
  }

  /** The statements, or a rejection once closed (better-sqlite3 would throw a less clear error). */
  private live(): Statements {
    if (this.closed) throw new StoreError(StoreErrorCode.Closed, 'the SQLite store is closed');
    return this.statements;
  }

  async appendEvents(doc: DocId, events: readonly Event[]): Promise<AppendResult> {
    const d = checkId(doc, 'document id');
    if (!Array.isArray(events)) throw new StoreError(StoreErrorCode.InvalidArgument, `events must be an array, got ${show(events)}`);
    const records = events.map(toRecord);
    const s = this.live();
    if (records.length === 0) return { stored: [], duplicates: 0, head: s.getHead.get(d)?.head ?? 0 };
    // Inside the batch transaction, which holds the write lock (BEGIN IMMEDIATE) before the head is
    // read, so no other process can take the same version between our read and our write.
    const plan = await this.writes.run(() => {
      s.ensureHead.run(d);
      const head = s.getHead.get(d)?.head ?? 0;
      const stored = new Map<string, string>();
      for (const r of records) {
        const row = s.findEvent.get(d, r.agent, r.seq);
        if (row !== undefined) stored.set(idKey(r.agent, r.seq), storedPayload(row.event));
      }
      // planAppend throws on a conflict, which rolls back this append (its savepoint) alone.
      const plan = planAppend(records, stored, head);
      for (const row of plan.rows) s.insertEvent.run(d, row.version, row.agent, row.seq, row.json);
      if (plan.rows.length > 0) s.setHead.run(plan.head, d);
      return plan;
    });
    return { stored: plan.rows.map((r) => ({ version: r.version, event: r.event })), duplicates: plan.duplicates, head: plan.head };
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
    const bytes = Buffer.from(snapshot.bytes.buffer, snapshot.bytes.byteOffset, snapshot.bytes.byteLength);
    const s = this.live();
    await this.writes.run(() => s.saveSnapshot.run(d, version, bytes));
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
    const s = this.live();
    return this.writes.run(() => {
      if (s.createDocument.run(d, o, at).changes === 0) return false;
      s.setPermission.run(d, o, 'owner');
      return true;
    });
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
    const s = this.live();
    if (level === null) await this.writes.run(() => s.removePermission.run(d, u));
    else {
      const l = checkLevel(level);
      await this.writes.run(() => s.setPermission.run(d, u, l));
    }
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
    const s = this.live();
    if ((await this.writes.run(() => s.createShareLink.run(token, d, level, expiresAt, createdBy, createdAt))).changes === 0) {
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
    const s = this.live();
    return (await this.writes.run(() => s.revokeShareLink.run(when, t))).changes > 0;
  }

  async nameVersion(doc: DocId, named: NamedVersion): Promise<void> {
    const d = checkId(doc, 'document id');
    const version = checkVersion(named.version, 'version');
    const name = checkText(named.name, 'version name');
    const createdBy = checkId(named.createdBy, 'createdBy');
    const createdAt = checkTime(named.createdAt, 'createdAt');
    const s = this.live();
    await this.writes.run(() => s.nameVersion.run(d, version, name, createdBy, createdAt));
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
    const s = this.live();
    const bound = await this.writes.run(() => {
      s.bindAgent.run(d, a, u);
      return s.agentUser.get(d, a)?.user_id;
    });
    if (bound === undefined) throw new StoreError(StoreErrorCode.Corrupt, `agent ${show(a)} of document ${show(d)} vanished while binding`);
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
    const s = this.live();
    await this.writes.run(() => s.addCheckpoint.run(d, version, createdAt, authors));
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
    const s = this.live();
    await this.writes.run(() => s.touchRoomMember.run(r, u, when));
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
    this.writes.flush();
    this.db.close();
  }
}
