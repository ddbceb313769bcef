/**
 * The contracts between a document's sync protocol and its surroundings: what it needs from the
 * connection (SyncLink) and from configuration (SyncSettings), and what it reports (SyncEvents,
 * MergeReport).
 */
import type { Event } from '@tandem/core';
import type { ClientMessage, Level, PresencePeer } from '@tandem/protocol';
import type { ClientMetrics } from '../metrics/client-metrics.js';

/** What the sync layer needs from the connection. */
export interface SyncLink {
  /** Sends on the live connection; false (nothing sent) when there is none. */
  send(message: ClientMessage): boolean;
  /** The live connection's limits (from `welcome`), undefined while disconnected. */
  limits(): { readonly maxEventsPerMessage: number; readonly maxMessageBytes: number } | undefined;
  /**
   * Takes one unit of the client's budget of operation messages: 0 when one may be sent now,
   * otherwise the ms to wait. Keeps the client under the server's rate limit, which drops excess
   * messages (an operation dropped that way would never be acknowledged).
   */
  reserve(): number;
  /** True when the live connection's server can send a document as an encoded snapshot (protocol 2). */
  snapshots(): boolean;
}

export interface SyncSettings {
  /** How long another tab's event is left for that tab to send (ms). */
  readonly tabGraceMs: number;
  /** Pause before retrying after RATE_LIMITED or a server storage failure (ms). */
  readonly retryDelayMs: number;
  /** An operation not acknowledged within this is sent again (ms). */
  readonly ackTimeoutMs: number;
  readonly monotonic: () => number;
  readonly now: () => number;
  readonly newId: () => string;
  readonly metrics: ClientMetrics;
}

/** How much a (re)join merged: what the app may tell its user after being offline. */
export interface MergeReport {
  /** Events from others this replica had not seen, merged on joining. */
  readonly remoteEvents: number;
  /** Unacknowledged events of this replica waiting to be sent when it joined. */
  readonly localEvents: number;
  /** True on the first join of this document session. */
  readonly initial: boolean;
}

export type SyncEvents = {
  /** Joined the server's session (after every reconnect too). */
  joined: [info: { readonly level: Level; readonly activeUsers: readonly PresencePeer[]; readonly merge: MergeReport }];
  /** Unacknowledged events changed in number. */
  pending: [count: number];
  /** Everything is acknowledged and the replica matches the server's (after not matching). */
  synced: [at: number];
  /** The confirmed server state moved (worth saving). */
  advanced: [serverVersion: number];
  /** Events made here (local edits, undo, redo): other tabs should hear of them. */
  local: [events: readonly Event[]];
  error: [error: Error];
};
