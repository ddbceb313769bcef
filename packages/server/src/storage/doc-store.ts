/**
 * The storage interface of the Tandem server: everything the server persists (the per-document
 * event log, snapshots, document metadata and permissions, share links, named versions, automatic
 * history checkpoints, which user each agent belongs to, and the last-seen times of room members) behind one small async interface. The SQLite and PostgreSQL
 * stores implement it, and one contract test suite checks both, so the rest of the server never
 * depends on which database is behind it.
 */
import type { DocId, Event } from '@tandem/core';

/** Access levels on a document, from most to least powerful. */
export const ACCESS_LEVELS = ['owner', 'editor', 'commenter', 'viewer'] as const;
export type Level = (typeof ACCESS_LEVELS)[number];

export function isLevel(v: unknown): v is Level {
  return typeof v === 'string' && (ACCESS_LEVELS as readonly string[]).includes(v);
}

/** An event of a document's log with the server version the store gave it (1, 2, 3… with no gaps). */
export interface StoredEvent {
  readonly version: number;
  readonly event: Event;
}

export interface AppendResult {
  /** The events newly stored by this append, in the order given, with their versions. */
  readonly stored: readonly StoredEvent[];
  /** How many events of the batch were already stored (same id, same payload) and were skipped. */
  readonly duplicates: number;
  /** The document's server version after the append (the version of its last stored event). */
  readonly head: number;
}

/** The serialized state of a document at a server version, so loading need not replay the log. */
export interface Snapshot {
  readonly version: number;
  readonly bytes: Uint8Array;
}

export interface DocumentInfo {
  readonly id: DocId;
  readonly owner: string;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
}

export interface PermissionEntry {
  readonly user: string;
  readonly level: Level;
}

export interface NewShareLink {
  /** The secret in the link; the caller makes it unguessable. */
  readonly token: string;
  readonly level: Level;
  /** Milliseconds since the Unix epoch, or null for a link that never expires. */
  readonly expiresAt: number | null;
  readonly createdBy: string;
  /** Milliseconds since the Unix epoch; the store's clock when omitted. */
  readonly createdAt?: number;
}

export interface ShareLink {
  readonly token: string;
  readonly doc: DocId;
  readonly level: Level;
  readonly expiresAt: number | null;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly revoked: boolean;
  /** When the link was revoked, or null while it is live. */
  readonly revokedAt: number | null;
}

export interface NamedVersion {
  readonly version: number;
  readonly name: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

/** An automatic history checkpoint: a version the server marked while the document was edited. */
export interface Checkpoint {
  readonly version: number;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
  /** Users whose events lie between the previous checkpoint and this one, sorted. */
  readonly authors: readonly string[];
}

/** Which user an agent (one editing replica) of a document belongs to. */
export interface AgentBinding {
  readonly agent: string;
  readonly user: string;
}

export interface RoomMember {
  readonly user: string;
  /** Milliseconds since the Unix epoch. */
  readonly lastSeen: number;
}

/**
 * Persistent storage for the server. Every method is safe to call from several server processes
 * sharing one database. Ids (documents, users, rooms, tokens) are arbitrary strings of 1..512
 * UTF-16 code units without NUL or unpaired surrogates: both databases store text as UTF-8, so
 * such strings could not come back unchanged, and silently aliasing two ids would be worse than
 * refusing them. Invalid arguments reject with a StoreError (ERR_INVALID_ARGUMENT); calls after
 * close reject with ERR_STORE_CLOSED.
 */
export interface DocStore {
  /**
   * Atomically appends events to a document's log (all or nothing). Each new event gets the next
   * server version: gap-free and unique even with several processes writing the same document,
   * because the database serializes appenders on the document's head row. An event whose id
   * (agent, seq) is already stored with the same payload (parents and change) is a duplicate:
   * counted, not stored again. With a different payload the whole append rejects with TandemError
   * ERR_CONFLICTING_EVENT and stores nothing. Malformed events reject with ERR_INVALID_EVENT.
   * Resolves only after the data is durably committed, so the caller may acknowledge it.
   */
  appendEvents(doc: DocId, events: readonly Event[]): Promise<AppendResult>;
  /** Events with version > after, ascending, at most `limit` (all when omitted). */
  loadEvents(doc: DocId, after: number, limit?: number): Promise<StoredEvent[]>;
  /** The version of the document's last event; 0 for a document with no events. */
  head(doc: DocId): Promise<number>;

  /** Keeps the snapshot only if it is newer than the stored one (an older or equal one is ignored). */
  saveSnapshot(doc: DocId, snapshot: Snapshot): Promise<void>;
  loadSnapshot(doc: DocId): Promise<Snapshot | undefined>;

  /**
   * Records a new document with its owner (who also gets the 'owner' permission). Resolves false,
   * changing nothing, if the document already exists.
   */
  createDocument(doc: DocId, owner: string, createdAt?: number): Promise<boolean>;
  getDocument(doc: DocId): Promise<DocumentInfo | undefined>;
  /** Documents the user owns or holds a permission on, oldest first. */
  listDocuments(user: string): Promise<DocumentInfo[]>;
  /** Grants `level` to the user on the document, replacing any previous level; null revokes. */
  setPermission(doc: DocId, user: string, level: Level | null): Promise<void>;
  getPermission(doc: DocId, user: string): Promise<Level | undefined>;
  /** Every grant on the document, by user id. */
  listPermissions(doc: DocId): Promise<PermissionEntry[]>;

  /** Stores a new share link; rejects with ERR_DUPLICATE if the token is already used. */
  createShareLink(doc: DocId, link: NewShareLink): Promise<void>;
  /** The link, revoked or not (the caller checks `revoked` and `expiresAt`). */
  getShareLink(token: string): Promise<ShareLink | undefined>;
  /** The document's links, revoked ones included, oldest first. */
  listShareLinks(doc: DocId): Promise<ShareLink[]>;
  /** Revokes a live link; resolves false if there is no such link or it was already revoked. */
  revokeShareLink(token: string, at?: number): Promise<boolean>;

  /** Names a version of the document; naming the same version again replaces its name. */
  nameVersion(doc: DocId, named: NamedVersion): Promise<void>;
  /** The document's named versions, by version. */
  listNamedVersions(doc: DocId): Promise<NamedVersion[]>;

  /**
   * Binds the agent to the user on the document unless it is bound already, atomically (the first
   * binder wins, across processes). Resolves the user the agent is bound to, which is another
   * user's id when someone else bound it first.
   */
  bindAgent(doc: DocId, agent: string, user: string): Promise<string>;
  /** Every agent binding of the document, by agent. */
  agentBindings(doc: DocId): Promise<AgentBinding[]>;

  /** Records an automatic checkpoint; a checkpoint already stored at that version is kept as it is. */
  addCheckpoint(doc: DocId, checkpoint: Checkpoint): Promise<void>;
  /** The document's checkpoints, by version. */
  listCheckpoints(doc: DocId): Promise<Checkpoint[]>;

  /** Records that the user was seen in the room; a time older than the stored one is ignored. */
  touchRoomMember(room: string, user: string, at: number): Promise<void>;
  /** The room's members, most recently seen first. */
  roomMembers(room: string): Promise<RoomMember[]>;

  /** Releases the database; later calls reject. Safe to call twice. */
  close(): Promise<void>;
}
