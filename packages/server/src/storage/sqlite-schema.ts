/**
 * The SQLite schema of the Tandem store and its migrations. A database records the schema
 * version it is at in `schema_version`; opening it applies the missing steps in one IMMEDIATE
 * transaction, so two processes opening the same new file at once cannot both migrate it.
 */
import type Database from 'better-sqlite3';
import { StoreError, StoreErrorCode } from './store-error.js';

/**
 * Each step moves the schema one version up. Steps are append-only: a released step is never
 * edited, because databases in the field have already run it.
 */
const MIGRATIONS: readonly string[] = [
  // 1: the event log, snapshots, metadata, permissions, links, named versions, room members.
  `
  -- One row per document with events: appenders serialize on it to get gap-free versions.
  CREATE TABLE doc_heads (
    doc TEXT PRIMARY KEY,
    head INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE events (
    doc TEXT NOT NULL,
    version INTEGER NOT NULL,
    agent TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (doc, version),
    UNIQUE (doc, agent, seq)
  ) STRICT;

  CREATE TABLE snapshots (
    doc TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    bytes BLOB NOT NULL
  ) STRICT;

  CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX documents_by_owner ON documents (owner);

  CREATE TABLE permissions (
    doc TEXT NOT NULL,
    user_id TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('owner', 'editor', 'commenter', 'viewer')),
    PRIMARY KEY (doc, user_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX permissions_by_user ON permissions (user_id);

  CREATE TABLE share_links (
    token TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('owner', 'editor', 'commenter', 'viewer')),
    expires_at INTEGER,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  ) STRICT;
  CREATE INDEX share_links_by_doc ON share_links (doc);

  CREATE TABLE named_versions (
    doc TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (doc, version)
  ) STRICT;

  CREATE TABLE room_members (
    room TEXT NOT NULL,
    user_id TEXT NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (room, user_id)
  ) STRICT, WITHOUT ROWID;
  `,
  // 2: history: which user each agent belongs to (attribution, and refusing forged agents), and
  // automatic checkpoints (authors as a JSON array of user ids).
  `
  CREATE TABLE agent_bindings (
    doc TEXT NOT NULL,
    agent TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (doc, agent)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE checkpoints (
    doc TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    authors TEXT NOT NULL,
    PRIMARY KEY (doc, version)
  ) STRICT, WITHOUT ROWID;
  `,
];

export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to the latest schema; refuses a database from a newer release. */
export function migrateSqlite(db: Database.Database): void {
  const migrate = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT');
    const row = db.prepare<[], { version: number }>('SELECT version FROM schema_version').get();
    const current = row?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new StoreError(
        StoreErrorCode.Corrupt,
        `database schema version ${current} is newer than this server understands (${MIGRATIONS.length}); upgrade the server`,
      );
    }
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v] as string);
    if (row === undefined) db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
    else if (current < MIGRATIONS.length) db.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length);
  });
  migrate.immediate();
}
