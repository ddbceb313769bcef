/**
 * The offline store interface: where a client keeps, per document, the events the server has not
 * acknowledged yet (so a reload, a crash or a closed laptop loses no edit) and the last state it
 * knew the server to have (so reopening resumes with `since` instead of downloading everything).
 *
 * Implementations: MemoryStorage (tests, or apps that want no persistence), FileStorage (Node, in
 * `@tandem/client/node`) and IndexedDbStorage (browsers). An app may bring its own.
 */
import type { Event } from '@tandem/core';

/** The last state a client knew the server to have for one document. */
export interface ServerState {
  /** Server version: the count of events the server held. */
  readonly serverVersion: number;
  /** `Doc.encode()` of exactly the server's events up to `serverVersion` (no unacknowledged ones). */
  readonly snapshot: Uint8Array;
}

export interface ClientStorage {
  /** The unacknowledged events of a document, in the order they were saved ([] if none). */
  loadPending(docId: string): Promise<Event[]>;
  /** Replaces the document's unacknowledged events. Must be durable when the promise resolves. */
  savePending(docId: string, events: readonly Event[]): Promise<void>;
  /** The last known server state of a document, if any was saved. */
  loadServerState(docId: string): Promise<ServerState | undefined>;
  /** Replaces the document's last known server state. */
  saveServerState(docId: string, state: ServerState): Promise<void>;
  /** Releases resources (file handles, database connections). Optional. */
  close?(): Promise<void>;
}
