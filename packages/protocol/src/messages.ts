/**
 * The Tandem wire protocol: every message that travels between a client and a server (over a
 * WebSocket, or the HTTP fallback), as one discriminated union per direction. JSON text frames.
 *
 * A connection opens with `hello` → `welcome` (protocol version negotiation, optional token). One
 * connection carries many documents (`join_session` per document) and presence rooms (`join_room`).
 * Tandem clients exchange events (id, parents, op: the Eg-walker event graph); simple clients use the
 * plain OT mode (`{version, operations}` against a server version) and the server transforms.
 */
import type { Event, JsonValue, OpComponent } from '@tandem/core';

/**
 * Protocol versions this build speaks; the handshake picks the highest both sides know. Version 2
 * adds encoded snapshots on a first join (`join_session.snapshot`, `session_joined.snapshot`);
 * everything else is as in version 1.
 */
export const PROTOCOL_VERSIONS = [1, 2] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];

/** Access levels on a document, strongest first. */
export const LEVELS = ['owner', 'editor', 'commenter', 'viewer'] as const;
export type Level = (typeof LEVELS)[number];

/** Presence status of a user. */
export type PresenceStatus = 'online' | 'away' | 'offline';

/** A cursor or selection in a text, in UTF-16 offsets of the text at `version` (server version). */
export interface CursorRange {
  /** Name of the text (default "body"). */
  readonly text?: string;
  readonly anchor: number;
  readonly head: number;
}

/** What a user shares about themself on a document or in a room. */
export interface PresenceState {
  readonly name?: string;
  readonly color?: string;
  readonly status?: PresenceStatus;
  readonly activity?: string;
  readonly typing?: boolean;
  readonly cursor?: CursorRange | null;
  /** App-defined fields (bounded in size by the server). */
  readonly custom?: { readonly [key: string]: JsonValue };
  /** Hidden from others while true. */
  readonly invisible?: boolean;
}

/** One user as others see them: one entry per user however many tabs or devices they use. */
export interface PresencePeer {
  readonly userId: string;
  readonly name: string;
  readonly color: string;
  readonly status: PresenceStatus;
  readonly activity?: string;
  readonly typing: boolean;
  readonly cursor: CursorRange | null;
  readonly custom: { readonly [key: string]: JsonValue };
  /** Milliseconds since the epoch of the user's last activity. */
  readonly lastSeen: number;
}

// ----- client → server -----

export interface HelloMessage {
  readonly type: 'hello';
  /** Versions the client speaks. */
  readonly protocols: readonly number[];
  /** A JWT, when not given in the connection request. */
  readonly token?: string;
  /** Dev mode only (no secret configured): the name the client picks for itself. */
  readonly devUser?: { readonly id: string; readonly name?: string };
  readonly client?: { readonly name: string; readonly version: string };
}

export interface JoinSessionMessage {
  readonly type: 'join_session';
  readonly docId: string;
  /** 'events' (Tandem clients, default) or 'ot' (plain OT clients). */
  readonly mode?: 'events' | 'ot';
  /** Resume: the last server version this client has; the server sends only what came after. */
  readonly since?: number;
  /** A share-link token granting access to this document. */
  readonly link?: string;
  /** Initial presence. */
  readonly presence?: PresenceState;
  /**
   * Protocol 2, mode 'events', without `since` (a client holding nothing): the client would rather
   * have the document as an encoded snapshot (`session_joined.snapshot`) than as its events.
   */
  readonly snapshot?: boolean;
}

export interface LeaveSessionMessage {
  readonly type: 'leave_session';
  readonly docId: string;
}

/** Events from a Tandem client (mode 'events'). */
export interface EventsOperationMessage {
  readonly type: 'operation';
  readonly docId: string;
  /** Echoed in the ack. */
  readonly operationId: string;
  readonly events: readonly Event[];
}

/** A plain OT operation against server version `version` (mode 'ot'). */
export interface OtOperationMessage {
  readonly type: 'operation';
  readonly docId: string;
  readonly operationId: string;
  readonly version: number;
  /** Text name (default "body"). */
  readonly text?: string;
  readonly operations: readonly OpComponent[];
}

export type OperationMessage = EventsOperationMessage | OtOperationMessage;

export interface CursorUpdateMessage {
  readonly type: 'cursor_update';
  readonly docId: string;
  /** Server version the offsets refer to; the server maps them through later edits. */
  readonly version: number;
  readonly cursor: CursorRange | null;
}

export interface PresenceUpdateMessage {
  readonly type: 'presence_update';
  /** A document id or a room id (`room:` prefix not needed: the `scope` says which). */
  readonly scope: 'doc' | 'room';
  readonly id: string;
  readonly state: PresenceState;
}

export interface RequestSyncMessage {
  readonly type: 'request_sync';
  readonly docId: string;
  /** Send everything after this server version. */
  readonly since: number;
}

export interface JoinRoomMessage {
  readonly type: 'join_room';
  readonly room: string;
  readonly presence?: PresenceState;
}

export interface LeaveRoomMessage {
  readonly type: 'leave_room';
  readonly room: string;
}

/** An app-defined ephemeral event to everyone in a room (for example "goal created"). */
export interface RoomBroadcastMessage {
  readonly type: 'room_broadcast';
  readonly room: string;
  readonly event: string;
  readonly data?: JsonValue;
}

/**
 * The `signal` target that means every other connection on the document, on every server node (an
 * announce: how a peer-to-peer client introduces itself; once per join).
 */
export const SIGNAL_TO_ALL = '*';

/** WebRTC signaling to another user's connection on the same document. */
export interface SignalMessage {
  readonly type: 'signal';
  readonly docId: string;
  /** Target connection id (from presence / peers list), or SIGNAL_TO_ALL. */
  readonly to: string;
  readonly data: JsonValue;
}

export interface PingMessage {
  readonly type: 'ping';
  /** Client clock, echoed in the pong (for RTT). */
  readonly t: number;
}

export type ClientMessage =
  | HelloMessage
  | JoinSessionMessage
  | LeaveSessionMessage
  | OperationMessage
  | CursorUpdateMessage
  | PresenceUpdateMessage
  | RequestSyncMessage
  | JoinRoomMessage
  | LeaveRoomMessage
  | RoomBroadcastMessage
  | SignalMessage
  | PingMessage;

// ----- server → client -----

export interface WelcomeMessage {
  readonly type: 'welcome';
  readonly protocol: ProtocolVersion;
  readonly server: { readonly name: 'tandem'; readonly version: string };
  /** This connection's id (unique per connection; used for signaling). */
  readonly connectionId: string;
  readonly user: { readonly id: string; readonly name: string; readonly color: string };
  /** How often the server expects traffic; silence for twice this closes the connection. */
  readonly heartbeatMs: number;
  readonly limits: { readonly maxMessageBytes: number; readonly maxEventsPerMessage: number };
}

export interface SessionJoinedMessage {
  readonly type: 'session_joined';
  readonly docId: string;
  /** The server version (count of events the server holds for the document). */
  readonly version: number;
  readonly level: Level;
  /** Mode 'events': the events after `since` (all of them on a first join), in server order. */
  readonly events?: readonly Event[];
  /**
   * Mode 'events', instead of `events`, when the client asked for it (`join_session.snapshot`):
   * the server's replica at `version` as `Doc.encode` bytes, in base64 (RFC 4648, with padding).
   */
  readonly snapshot?: string;
  /** Mode 'ot': the texts at `version`. */
  readonly content?: { readonly [text: string]: string };
  /** Mode 'ot': the maps at `version`. */
  readonly maps?: { readonly [map: string]: { readonly [key: string]: JsonValue } };
  readonly activeUsers: readonly PresencePeer[];
}

export interface OperationAckMessage {
  readonly type: 'operation_ack';
  readonly docId: string;
  readonly operationId: string;
  /** Server version after the acknowledged events; they are durably stored. */
  readonly version: number;
  /** Events of the operation the server already had (resends after a lost ack). */
  readonly duplicates: number;
}

export interface EventsRemoteOperationMessage {
  readonly type: 'remote_operation';
  readonly docId: string;
  /** Server version after these events. */
  readonly version: number;
  readonly userId: string;
  readonly events: readonly Event[];
}

export interface OtRemoteOperationMessage {
  readonly type: 'remote_operation';
  readonly docId: string;
  readonly version: number;
  readonly userId: string;
  readonly text: string;
  /**
   * Against the text as the client last had it (after its previous remote_operation, ack or join).
   * Not "the text at `version - 1`": one commit of several events advances the version by several.
   */
  readonly operations: readonly OpComponent[];
}

export type RemoteOperationMessage = EventsRemoteOperationMessage | OtRemoteOperationMessage;

export interface RemoteCursorMessage {
  readonly type: 'remote_cursor';
  readonly docId: string;
  readonly userId: string;
  readonly version: number;
  readonly cursor: CursorRange | null;
}

export interface PresenceMessage {
  readonly type: 'presence';
  readonly scope: 'doc' | 'room';
  readonly id: string;
  readonly peer: PresencePeer;
}

export interface UserJoinedMessage {
  readonly type: 'user_joined';
  readonly scope: 'doc' | 'room';
  readonly id: string;
  readonly peer: PresencePeer;
}

export interface UserLeftMessage {
  readonly type: 'user_left';
  readonly scope: 'doc' | 'room';
  readonly id: string;
  readonly userId: string;
}

export interface SyncMessage {
  readonly type: 'sync';
  readonly docId: string;
  readonly version: number;
  readonly events?: readonly Event[];
  /** Mode 'ot': the operations after `since`, each with the version it produced. */
  readonly operations?: readonly { readonly version: number; readonly text: string; readonly operations: readonly OpComponent[] }[];
}

export interface RoomJoinedMessage {
  readonly type: 'room_joined';
  readonly room: string;
  readonly members: readonly PresencePeer[];
}

export interface RoomEventMessage {
  readonly type: 'room_event';
  readonly room: string;
  readonly from: string;
  readonly event: string;
  readonly data?: JsonValue;
}

export interface SignalRelayMessage {
  readonly type: 'signal';
  readonly docId: string;
  /** Sender connection id and user. */
  readonly from: string;
  readonly userId: string;
  readonly level: Level;
  readonly data: JsonValue;
}

export interface PongMessage {
  readonly type: 'pong';
  readonly t: number;
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly code: ErrorCode;
  readonly message: string;
  readonly docId?: string;
  /** The operationId or message type the error answers. */
  readonly ref?: string;
  /** For VERSION_CONFLICT and similar. */
  readonly currentVersion?: number;
}

export type ServerMessage =
  | WelcomeMessage
  | SessionJoinedMessage
  | OperationAckMessage
  | RemoteOperationMessage
  | RemoteCursorMessage
  | PresenceMessage
  | UserJoinedMessage
  | UserLeftMessage
  | SyncMessage
  | RoomJoinedMessage
  | RoomEventMessage
  | SignalRelayMessage
  | PongMessage
  | ErrorMessage;

/** Stable error codes: clients match on them; never renamed once published. */
export const ErrorCode = {
  BadMessage: 'BAD_MESSAGE',
  UnknownType: 'UNKNOWN_TYPE',
  MessageTooBig: 'MESSAGE_TOO_BIG',
  UnsupportedProtocol: 'UNSUPPORTED_PROTOCOL',
  HandshakeRequired: 'HANDSHAKE_REQUIRED',
  Unauthenticated: 'UNAUTHENTICATED',
  PermissionDenied: 'PERMISSION_DENIED',
  NotJoined: 'NOT_JOINED',
  InvalidOperation: 'INVALID_OPERATION',
  VersionConflict: 'VERSION_CONFLICT',
  ConflictingEvent: 'CONFLICTING_EVENT',
  MissingParents: 'MISSING_PARENTS',
  RateLimited: 'RATE_LIMITED',
  LimitExceeded: 'LIMIT_EXCEEDED',
  StorageUnavailable: 'STORAGE_UNAVAILABLE',
  NotFound: 'NOT_FOUND',
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
