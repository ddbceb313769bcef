/**
 * The PostgreSQL schema of the Tandem store: the schema name rules, and creation and migration
 * on open. Several server nodes may start at once against a new database, so all of it runs in
 * one transaction holding an advisory lock keyed by the schema name: the first node creates the
 * tables, the others wait, then find them there. Text columns use the "C" collation so ids
 * compare and sort by bytes, exactly as SQLite does, whatever the database's locale.
 */
import type pg from 'pg';
import { StoreError, StoreErrorCode } from './store-error.js';
import { show } from './store-input.js';

export const DEFAULT_POSTGRES_SCHEMA = 'tandem';

/** First key of the advisory lock: "TAND", so Tandem's lock never collides with an app's own. */
const LOCK_NAMESPACE = 0x54414e44;

/**
 * A schema name is put into SQL text (identifiers cannot be bound as parameters), so only plain
 * lower-case identifiers are accepted; quoting them as well keeps reserved words harmless.
 */
export function quoteSchemaName(name: string): string {
  if (typeof name !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new StoreError(
      StoreErrorCode.InvalidArgument,
      `PostgreSQL schema name must match [a-z_][a-z0-9_]{0,62}, got ${show(name)}`,
    );
  }
  return `"${name}"`;
}

/** 32-bit FNV-1a of the schema name, as the signed int the advisory-lock function takes. */
function lockKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** Steps up the schema; append-only, because deployed databases have already run released steps. */
function migrations(s: string): readonly string[] {
  return [
    // 1: the event log, snapshots, metadata, permissions, links, named versions, room members.
    `
    CREATE TABLE IF NOT EXISTS ${s}.doc_heads (
      doc TEXT COLLATE "C" PRIMARY KEY,
      head BIGINT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${s}.events (
      doc TEXT COLLATE "C" NOT NULL,
      version BIGINT NOT NULL,
      agent TEXT COLLATE "C" NOT NULL,
      seq BIGINT NOT NULL,
      event TEXT NOT NULL,
      PRIMARY KEY (doc, version),
      UNIQUE (doc, agent, seq)
    );
    CREATE TABLE IF NOT EXISTS ${s}.snapshots (
      doc TEXT COLLATE "C" PRIMARY KEY,
      version BIGINT NOT NULL,
      bytes BYTEA NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${s}.documents (
      id TEXT COLLATE "C" PRIMARY KEY,
      owner TEXT COLLATE "C" NOT NULL,
      created_at BIGINT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS documents_by_owner ON ${s}.documents (owner);
    CREATE TABLE IF NOT EXISTS ${s}.permissions (
      doc TEXT COLLATE "C" NOT NULL,
      user_id TEXT COLLATE "C" NOT NULL,
      level TEXT NOT NULL CHECK (level IN ('owner', 'editor', 'commenter', 'viewer')),
      PRIMARY KEY (doc, user_id)
    );
    CREATE INDEX IF NOT EXISTS permissions_by_user ON ${s}.permissions (user_id);
    CREATE TABLE IF NOT EXISTS ${s}.share_links (
      token TEXT COLLATE "C" PRIMARY KEY,
      doc TEXT COLLATE "C" NOT NULL,
      level TEXT NOT NULL CHECK (level IN ('owner', 'editor', 'commenter', 'viewer')),
      expires_at BIGINT,
      created_by TEXT COLLATE "C" NOT NULL,
      created_at BIGINT NOT NULL,
      revoked_at BIGINT
    );
    CREATE INDEX IF NOT EXISTS share_links_by_doc ON ${s}.share_links (doc);
    CREATE TABLE IF NOT EXISTS ${s}.named_versions (
      doc TEXT COLLATE "C" NOT NULL,
      version BIGINT NOT NULL,
      name TEXT NOT NULL,
      created_by TEXT COLLATE "C" NOT NULL,
      created_at BIGINT NOT NULL,
      PRIMARY KEY (doc, version)
    );
    CREATE TABLE IF NOT EXISTS ${s}.room_members (
      room TEXT COLLATE "C" NOT NULL,
      user_id TEXT COLLATE "C" NOT NULL,
      last_seen BIGINT NOT NULL,
      PRIMARY KEY (room, user_id)
    );
    `,
    // 2: history: which user each agent belongs to (attribution, and refusing forged agents), and
    // automatic checkpoints (authors as a JSON array of user ids).
    `
    CREATE TABLE IF NOT EXISTS ${s}.agent_bindings (
      doc TEXT COLLATE "C" NOT NULL,
      agent TEXT COLLATE "C" NOT NULL,
      user_id TEXT COLLATE "C" NOT NULL,
      PRIMARY KEY (doc, agent)
    );
    CREATE TABLE IF NOT EXISTS ${s}.checkpoints (
      doc TEXT COLLATE "C" NOT NULL,
      version BIGINT NOT NULL,
      created_at BIGINT NOT NULL,
      authors TEXT NOT NULL,
      PRIMARY KEY (doc, version)
    );
    `,
  ];
}

/** Creates the schema if needed and brings it to the latest version; refuses a newer schema. */
export async function migratePostgres(client: pg.PoolClient, schemaName: string): Promise<void> {
  const s = quoteSchemaName(schemaName);
  const steps = migrations(s);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [LOCK_NAMESPACE, lockKey(schemaName)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_version (version INT NOT NULL)`);
    const row = await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_version`);
    const current = row.rows[0]?.version ?? 0;
    if (current > steps.length) {
      throw new StoreError(
        StoreErrorCode.Corrupt,
        `schema ${s} is at version ${current}, newer than this server understands (${steps.length}); upgrade the server`,
      );
    }
    for (let v = current; v < steps.length; v++) await client.query(steps[v] as string);
    if (row.rows.length === 0) await client.query(`INSERT INTO ${s}.schema_version (version) VALUES ($1)`, [steps.length]);
    else if (current < steps.length) await client.query(`UPDATE ${s}.schema_version SET version = $1`, [steps.length]);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
