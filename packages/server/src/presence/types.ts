/**
 * The vocabulary shared by the presence modules: who a member is, what a presence room sends, how
 * its calls report refusal, and the injected clock and scheduler. Kept apart from the room so the
 * small helpers (throttle, aggregation, last-seen book) depend on types, not on the room itself.
 */
import type {
  ErrorCode,
  PresenceMessage,
  RemoteCursorMessage,
  RoomEventMessage,
  UserJoinedMessage,
  UserLeftMessage,
} from '@tandem/protocol';

/** The authenticated user behind a connection (from auth: the client cannot choose name or color). */
export interface PresenceUser {
  readonly id: string;
  readonly name: string;
  readonly color: string;
}

/** A document's presence, or a room's (a channel not tied to a document). */
export type PresenceScope = 'doc' | 'room';

/** Everything a presence room hands to the connection layer for delivery. */
export type PresenceOutboundMessage =
  | UserJoinedMessage
  | UserLeftMessage
  | PresenceMessage
  | RemoteCursorMessage
  | RoomEventMessage;

/** Delivers one message to one connection; the connection layer owns sockets and backpressure. */
export type PresenceSend = (connectionId: string, message: PresenceOutboundMessage) => void;

/** Cancels a scheduled callback; calling it after the callback ran is harmless. */
export type CancelScheduled = () => void;

/** Runs `fn` after `delayMs` (injected so tests drive time themselves instead of sleeping). */
export type PresenceScheduler = (delayMs: number, fn: () => void) => CancelScheduled;

/** Persists a member's last-seen time (the server wires `DocStore.touchRoomMember`). */
export type TouchLastSeen = (userId: string, at: number) => Promise<void>;

/** A member's last-seen time loaded from storage when the room opened. */
export interface PersistedMember {
  readonly userId: string;
  /** Milliseconds since the Unix epoch. */
  readonly lastSeen: number;
  /** Shown for the member while offline; defaults to the user id (storage keeps only ids). */
  readonly name?: string;
  /** Defaults to the user's stable color derived from the id. */
  readonly color?: string;
}

/** Why a presence call was refused; `code` is the wire error code the server replies with. */
export interface PresenceFailure {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
}

/** The outcome of a call that can be refused. */
export type PresenceResult<T extends object = object> = ({ readonly ok: true } & T) | PresenceFailure;

/** Builds a refusal (typed against the protocol's codes, without needing its runtime). */
export function failure(code: ErrorCode, message: string): PresenceFailure {
  return { ok: false, code, message };
}
