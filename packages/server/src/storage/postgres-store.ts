/**
 * PostgresStore: the DocStore for several server nodes sharing one PostgreSQL database, through
 * a `pg` connection pool. Appends to a document serialize on its row in `doc_heads` (created if
 * missing, then locked with SELECT … FOR UPDATE), so appenders in different processes get
 * unique, gap-free versions and see each other's events when they dedupe. Every statement is
 * parameterized; the only text put into SQL is the validated, quoted schema name.
 */
import pg from 'pg';
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
import { fromRow, idKey, planAppend, storedPayload, toRecord, type AppendPlan, type EventRecord } from './event-records.js';
import { DEFAULT_POSTGRES_SCHEMA, migratePostgres, quoteSchemaName } from './postgres-schema.js';
import { withDefaultPostgresUser } from './postgres-url.js';
import { StoreError, StoreErrorCode } from './store-error.js';
import {
  authorsFromDb,
  authorsToDb,
  checkId,
  checkLevel,
  checkLimit,
  checkText,
  checkTime,
  checkVersion,
  intFromDb,
  levelFromDb,
  show,
  stringFromDb,
} from './store-input.js';

export interface PostgresStoreOptions {
  /** Schema holding the tables; created on open. Default "tandem". */
  readonly schema?: string;
  /** Most connections the pool opens. Default 10. */
  readonly poolSize?: number;
  /** How long to wait for a connection before failing. Default 10000 ms. */
  readonly connectionTimeoutMs?: number;
  /**
   * Called when an idle pooled connection fails (the database restarted, the network dropped).
   * The pool drops that connection and opens a new one when needed; without a listener the
   * error would be an unhandled 'error' event and crash the process.
   */
  readonly onPoolError?: (error: Error) => void;
}

type Row = Record<string, unknown>;

/** The SQL of every statement, for one schema. */
function statements(s: string) {
  return {
    ensureHead: `INSERT INTO ${s}.doc_heads (doc, head) VALUES ($1, 0) ON CONFLICT (doc) DO NOTHING`,
    lockHead: `SELECT head FROM ${s}.doc_heads WHERE doc = $1 FOR UPDATE`,
    getHead: `SELECT head FROM ${s}.doc_heads WHERE doc = $1`,
    setHead: `UPDATE ${s}.doc_heads SET head = $2 WHERE doc = $1`,
    findEvents: `SELECT e.agent, e.seq, e.event FROM ${s}.events e
      JOIN unnest($2::text[], $3::bigint[]) AS b(agent, seq) ON e.agent = b.agent AND e.seq = b.seq
      WHERE e.doc = $1`,
    insertEvents: `INSERT INTO ${s}.events (doc, version, agent, seq, event)
      SELECT $1, b.version, b.agent, b.seq, b.event FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[]) AS b(version, agent, seq, event)`,
    loadEvents: `SELECT version, agent, seq, event FROM ${s}.events WHERE doc = $1 AND version > $2 ORDER BY version LIMIT $3`,
    // Only a strictly newer snapshot replaces the stored one, decided inside the one statement so
    // two writers racing cannot put an older snapshot back.
    saveSnapshot: `INSERT INTO ${s}.snapshots AS t (doc, version, bytes) VALUES ($1, $2, $3)
      ON CONFLICT (doc) DO UPDATE SET version = EXCLUDED.version, bytes = EXCLUDED.bytes WHERE EXCLUDED.version > t.version`,
    loadSnapshot: `SELECT version, bytes FROM ${s}.snapshots WHERE doc = $1`,
    // One statement creates the document and the owner's grant, so neither exists without the other.
    createDocument: `WITH created AS (
        INSERT INTO ${s}.documents (id, owner, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id, owner
      )
      INSERT INTO ${s}.permissions (doc, user_id, level) SELECT id, owner, 'owner' FROM created
      ON CONFLICT (doc, user_id) DO UPDATE SET level = 'owner' RETURNING doc`,
    getDocument: `SELECT id, owner, created_at FROM ${s}.documents WHERE id = $1`,
    listDocuments: `SELECT id, owner, created_at FROM ${s}.documents d
      WHERE d.owner = $1 OR EXISTS (SELECT 1 FROM ${s}.permissions p WHERE p.doc = d.id AND p.user_id = $1)
      ORDER BY created_at, id`,
    setPermission: `INSERT INTO ${s}.permissions (doc, user_id, level) VALUES ($1, $2, $3)
      ON CONFLICT (doc, user_id) DO UPDATE SET level = EXCLUDED.level`,
    removePermission: `DELETE FROM ${s}.permissions WHERE doc = $1 AND user_id = $2`,
    getPermission: `SELECT level FROM ${s}.permissions WHERE doc = $1 AND user_id = $2`,
    listPermissions: `SELECT user_id, level FROM ${s}.permissions WHERE doc = $1 ORDER BY user_id`,
    createShareLink: `INSERT INTO ${s}.share_links (token, doc, level, expires_at, created_by, created_at, revoked_at)
      VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT (token) DO NOTHING`,
    getShareLink: `SELECT * FROM ${s}.share_links WHERE token = $1`,
    listShareLinks: `SELECT * FROM ${s}.share_links WHERE doc = $1 ORDER BY created_at, token`,
    revokeShareLink: `UPDATE ${s}.share_links SET revoked_at = $2 WHERE token = $1 AND revoked_at IS NULL`,
    nameVersion: `INSERT INTO ${s}.named_versions (doc, version, name, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (doc, version) DO UPDATE SET name = EXCLUDED.name, created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at`,
    listNamedVersions: `SELECT version, name, created_by, created_at FROM ${s}.named_versions WHERE doc = $1 ORDER BY version`,
    // The first binder wins; the read is a separate statement so that, under READ COMMITTED, it
    // sees a row another transaction committed while this insert waited on it.
    bindAgent: `INSERT INTO ${s}.agent_bindings (doc, agent, user_id) VALUES ($1, $2, $3) ON CONFLICT (doc, agent) DO NOTHING`,
    agentUser: `SELECT user_id FROM ${s}.agent_bindings WHERE doc = $1 AND agent = $2`,
    agentBindings: `SELECT agent, user_id FROM ${s}.agent_bindings WHERE doc = $1 ORDER BY agent`,
    addCheckpoint: `INSERT INTO ${s}.checkpoints (doc, version, created_at, authors) VALUES ($1, $2, $3, $4)
      ON CONFLICT (doc, version) DO NOTHING`,
    listCheckpoints: `SELECT version, created_at, authors FROM ${s}.checkpoints WHERE doc = $1 ORDER BY version`,
    // GREATEST so a late, out-of-order touch never moves the last-seen time backwards.
    touchRoomMember: `INSERT INTO ${s}.room_members AS t (room, user_id, last_seen) VALUES ($1, $2, $3)
      ON CONFLICT (room, user_id) DO UPDATE SET last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)`,
    roomMembers: `SELECT user_id, last_seen FROM ${s}.room_members WHERE room = $1 ORDER BY last_seen DESC, user_id`,
  };
}

type Statements = ReturnType<typeof statements>;

function toDocumentInfo(r: Row): DocumentInfo {
  return { id: stringFromDb(r['id'], 'document id') as DocId, owner: stringFromDb(r['owner'], 'owner'), createdAt: intFromDb(r['created_at'], 'created_at') };
}

function nullableInt(v: unknown, what: string): number | null {
  return v === null ? null : intFromDb(v, what);
}

function toShareLink(r: Row): ShareLink {
  const revokedAt = nullableInt(r['revoked_at'], 'revoked_at');
  return {
    token: stringFromDb(r['token'], 'token'),
    doc: stringFromDb(r['doc'], 'doc') as DocId,
    level: levelFromDb(r['level']),
    expiresAt: nullableInt(r['expires_at'], 'expires_at'),
    createdBy: stringFromDb(r['created_by'], 'created_by'),
    createdAt: intFromDb(r['created_at'], 'created_at'),
    revoked: revokedAt !== null,
    revokedAt,
  };
}

function toStoredEvent(r: Row): StoredEvent {
  return fromRow(intFromDb(r['version'], 'version'), stringFromDb(r['event'], 'event'), stringFromDb(r['agent'], 'agent'), intFromDb(r['seq'], 'seq'));
}

export class PostgresStore implements DocStore {
  private readonly pool: pg.Pool;
  private readonly sql: Statements;
  private closed = false;

  /** Connects, creates or migrates the schema, and returns the store; rejects if either fails. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    const quoted = quoteSchemaName(schema);
    const pool = new pg.Pool({
      connectionString: withDefaultPostgresUser(url),
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    });
    const onPoolError = options.onPoolError;
    pool.on('error', (err) => onPoolError?.(err));
    try {
      const client = await pool.connect();
      try {
        await migratePostgres(client, schema);
      } finally {
        client.release();
      }
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
    return new PostgresStore(pool, quoted);
  }

  private constructor(pool: pg.Pool, quotedSchema: string) {
    this.pool = pool;
    this.sql = statements(quotedSchema);
  }

  private live(): Statements {
    if (this.closed) throw new StoreError(StoreErrorCode.Closed, 'the PostgreSQL store is closed');
    return this.sql;
  }

  private async rows(text: string, values: readonly unknown[]): Promise<Row[]> {
    const result = await this.pool.query<Row>(text, [...values]);
    return result.rows;
  }

  private async changes(text: string, values: readonly unknown[]): Promise<number> {
    const result = await this.pool.query(text, [...values]);
    return result.rowCount ?? 0;
  }

  async appendEvents(doc: DocId, events: readonly Event[]): Promise<AppendResult> {
    const d = checkId(doc, 'document id');
    if (!Array.isArray(events)) throw new StoreError(StoreErrorCode.InvalidArgument, `events must be an array, got ${show(events)}`);
    const records = events.map(toRecord);
    const sql = this.live();
    if (records.length === 0) return { stored: [], duplicates: 0, head: await this.head(doc) };
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const plan = await this.appendInTransaction(client, sql, d, records);
      return { stored: plan.rows.map((r) => ({ version: r.version, event: r.record.event })), duplicates: plan.duplicates, head: plan.head };
    } catch (e) {
      // If even the rollback fails the connection is in an unknown state: destroy it.
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw e;
    } finally {
      client.release(broken);
    }
  }

  private async appendInTransaction(client: pg.PoolClient, sql: Statements, d: string, records: readonly EventRecord[]): Promise<AppendPlan> {
    // READ COMMITTED (whatever the database default) so that, once we hold the head row, each
    // statement sees what the previous holder committed. synchronous_commit on so COMMIT returns
    // only once the WAL is flushed, even if the database default was relaxed.
    await client.query('BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit = on');
    await client.query(sql.ensureHead, [d]);
    const locked = await client.query<Row>(sql.lockHead, [d]);
    const head = intFromDb(locked.rows[0]?.['head'], 'head');
    const found = await client.query<Row>(sql.findEvents, [d, records.map((r) => r.agent), records.map((r) => r.seq)]);
    const stored = new Map<string, string>();
    for (const row of found.rows) {
      stored.set(idKey(stringFromDb(row['agent'], 'agent'), intFromDb(row['seq'], 'seq')), storedPayload(stringFromDb(row['event'], 'event')));
    }
    // planAppend throws on a conflict; the caller rolls back, so nothing of the batch is stored.
    const plan = planAppend(records, stored, head);
    if (plan.rows.length > 0) {
      await client.query(sql.insertEvents, [
        d,
        plan.rows.map((r) => r.version),
        plan.rows.map((r) => r.record.agent),
        plan.rows.map((r) => r.record.seq),
        plan.rows.map((r) => r.record.json),
      ]);
      await client.query(sql.setHead, [d, plan.head]);
    }
    await client.query('COMMIT');
    return plan;
  }

  async loadEvents(doc: DocId, after: number, limit?: number): Promise<StoredEvent[]> {
    const d = checkId(doc, 'document id');
    const from = checkVersion(after, 'after');
    // LIMIT NULL is "no limit" in PostgreSQL.
    const max = limit === undefined ? null : checkLimit(limit);
    return (await this.rows(this.live().loadEvents, [d, from, max])).map(toStoredEvent);
  }

  async head(doc: DocId): Promise<number> {
    const d = checkId(doc, 'document id');
    const rows = await this.rows(this.live().getHead, [d]);
    return rows[0] === undefined ? 0 : intFromDb(rows[0]['head'], 'head');
  }

  async saveSnapshot(doc: DocId, snapshot: Snapshot): Promise<void> {
    const d = checkId(doc, 'document id');
    const version = checkVersion(snapshot.version, 'snapshot version');
    if (!(snapshot.bytes instanceof Uint8Array)) {
      throw new StoreError(StoreErrorCode.InvalidArgument, `snapshot bytes must be a Uint8Array, got ${show(snapshot.bytes)}`);
    }
    // pg sends a Buffer as bytea; a plain Uint8Array would be sent as text.
    const bytes = Buffer.from(snapshot.bytes.buffer, snapshot.bytes.byteOffset, snapshot.bytes.byteLength);
    await this.changes(this.live().saveSnapshot, [d, version, bytes]);
  }

  async loadSnapshot(doc: DocId): Promise<Snapshot | undefined> {
    const d = checkId(doc, 'document id');
    const row = (await this.rows(this.live().loadSnapshot, [d]))[0];
    if (row === undefined) return undefined;
    const bytes = row['bytes'];
    if (!(bytes instanceof Uint8Array)) throw new StoreError(StoreErrorCode.Corrupt, `snapshot of ${show(d)} is not bytes`);
    return { version: intFromDb(row['version'], 'snapshot version'), bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }

  async createDocument(doc: DocId, owner: string, createdAt: number = Date.now()): Promise<boolean> {
    const d = checkId(doc, 'document id');
    const o = checkId(owner, 'owner');
    const at = checkTime(createdAt, 'createdAt');
    return (await this.changes(this.live().createDocument, [d, o, at])) > 0;
  }

  async getDocument(doc: DocId): Promise<DocumentInfo | undefined> {
    const d = checkId(doc, 'document id');
    const row = (await this.rows(this.live().getDocument, [d]))[0];
    return row === undefined ? undefined : toDocumentInfo(row);
  }

  async listDocuments(user: string): Promise<DocumentInfo[]> {
    const u = checkId(user, 'user id');
    return (await this.rows(this.live().listDocuments, [u])).map(toDocumentInfo);
  }

  async setPermission(doc: DocId, user: string, level: Level | null): Promise<void> {
    const d = checkId(doc, 'document id');
    const u = checkId(user, 'user id');
    if (level === null) await this.changes(this.live().removePermission, [d, u]);
    else await this.changes(this.live().setPermission, [d, u, checkLevel(level)]);
  }

  async getPermission(doc: DocId, user: string): Promise<Level | undefined> {
    const d = checkId(doc, 'document id');
    const u = checkId(user, 'user id');
    const row = (await this.rows(this.live().getPermission, [d, u]))[0];
    return row === undefined ? undefined : levelFromDb(row['level']);
  }

  async listPermissions(doc: DocId): Promise<PermissionEntry[]> {
    const d = checkId(doc, 'document id');
    return (await this.rows(this.live().listPermissions, [d])).map((r) => ({
      user: stringFromDb(r['user_id'], 'user id'),
      level: levelFromDb(r['level']),
    }));
  }

  async createShareLink(doc: DocId, link: NewShareLink): Promise<void> {
    const d = checkId(doc, 'document id');
    const token = checkId(link.token, 'share link token');
    const level = checkLevel(link.level);
    const expiresAt = link.expiresAt === null ? null : checkTime(link.expiresAt, 'expiresAt');
    const createdBy = checkId(link.createdBy, 'createdBy');
    const createdAt = checkTime(link.createdAt ?? Date.now(), 'createdAt');
    if ((await this.changes(this.live().createShareLink, [token, d, level, expiresAt, createdBy, createdAt])) === 0) {
      throw new StoreError(StoreErrorCode.Duplicate, 'a share link with this token already exists');
    }
  }

  async getShareLink(token: string): Promise<ShareLink | undefined> {
    const t = checkId(token, 'share link token');
    const row = (await this.rows(this.live().getShareLink, [t]))[0];
    return row === undefined ? undefined : toShareLink(row);
  }

  async listShareLinks(doc: DocId): Promise<ShareLink[]> {
    const d = checkId(doc, 'document id');
    return (await this.rows(this.live().listShareLinks, [d])).map(toShareLink);
  }

  async revokeShareLink(token: string, at: number = Date.now()): Promise<boolean> {
    const t = checkId(token, 'share link token');
    const when = checkTime(at, 'revokedAt');
    return (await this.changes(this.live().revokeShareLink, [t, when])) > 0;
  }

  async nameVersion(doc: DocId, named: NamedVersion): Promise<void> {
    const d = checkId(doc, 'document id');
    const version = checkVersion(named.version, 'version');
    const name = checkText(named.name, 'version name');
    const createdBy = checkId(named.createdBy, 'createdBy');
    const createdAt = checkTime(named.createdAt, 'createdAt');
    await this.changes(this.live().nameVersion, [d, version, name, createdBy, createdAt]);
  }

  async listNamedVersions(doc: DocId): Promise<NamedVersion[]> {
    const d = checkId(doc, 'document id');
    return (await this.rows(this.live().listNamedVersions, [d])).map((r) => ({
      version: intFromDb(r['version'], 'version'),
      name: stringFromDb(r['name'], 'name'),
      createdBy: stringFromDb(r['created_by'], 'created_by'),
      createdAt: intFromDb(r['created_at'], 'created_at'),
    }));
  }

  async bindAgent(doc: DocId, agent: string, user: string): Promise<string> {
    const d = checkId(doc, 'document id');
    const a = checkId(agent, 'agent id');
    const u = checkId(user, 'user id');
    const sql = this.live();
    await this.changes(sql.bindAgent, [d, a, u]);
    const row = (await this.rows(sql.agentUser, [d, a]))[0];
    if (row === undefined) throw new StoreError(StoreErrorCode.Corrupt, `agent ${show(a)} of document ${show(d)} vanished while binding`);
    return stringFromDb(row['user_id'], 'user id');
  }

  async agentBindings(doc: DocId): Promise<AgentBinding[]> {
    const d = checkId(doc, 'document id');
    return (await this.rows(this.live().agentBindings, [d])).map((r) => ({
      agent: stringFromDb(r['agent'], 'agent'),
      user: stringFromDb(r['user_id'], 'user id'),
    }));
  }

  async addCheckpoint(doc: DocId, checkpoint: Checkpoint): Promise<void> {
    const d = checkId(doc, 'document id');
    const version = checkVersion(checkpoint.version, 'checkpoint version');
    const createdAt = checkTime(checkpoint.createdAt, 'createdAt');
    const authors = authorsToDb(checkpoint.authors);
    await this.changes(this.live().addCheckpoint, [d, version, createdAt, authors]);
  }

  async listCheckpoints(doc: DocId): Promise<Checkpoint[]> {
    const d = checkId(doc, 'document id');
    return (await this.rows(this.live().listCheckpoints, [d])).map((r) => ({
      version: intFromDb(r['version'], 'version'),
      createdAt: intFromDb(r['created_at'], 'created_at'),
      authors: authorsFromDb(r['authors']),
    }));
  }

  async touchRoomMember(room: string, user: string, at: number): Promise<void> {
    const r = checkId(room, 'room id');
    const u = checkId(user, 'user id');
    const when = checkTime(at, 'at');
    await this.changes(this.live().touchRoomMember, [r, u, when]);
  }

  async roomMembers(room: string): Promise<RoomMember[]> {
    const r = checkId(room, 'room id');
    return (await this.rows(this.live().roomMembers, [r])).map((row) => ({
      user: stringFromDb(row['user_id'], 'user id'),
      lastSeen: intFromDb(row['last_seen'], 'last_seen'),
    }));
  }

  /** Waits for checked-out connections to come back, then closes them all. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
