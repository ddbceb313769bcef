/**
 * The size limits of the wire protocol: the tunable ones (`ProtocolLimits`, with the defaults a
 * server applies to what clients send and the looser defaults a client applies to what a server
 * sends) and the fixed caps on individual fields. Fixed caps are part of protocol version 1: a
 * client may rely on every server accepting a docId of 256 characters, so they are not settings.
 */
import { DEFAULT_MAX_COMPONENTS } from '@tandem/core';

/** Limits a parser enforces on one incoming frame. Every field is optional; omitted ones take the defaults. */
export interface ProtocolLimits {
  /** Largest frame, in UTF-8 bytes. Larger frames fail with MESSAGE_TOO_BIG before being parsed. */
  readonly maxMessageBytes?: number;
  /** Most events in one `operation` (or, for server messages, one `session_joined` / `sync` / `remote_operation`). */
  readonly maxEventsPerMessage?: number;
  /** Most components in one text operation (plain OT `operations`, or the op of one event). */
  readonly maxOpComponents?: number;
  /**
   * Most parents of one event. An event's parents are its replica's frontier, one head per writer
   * it merged concurrently, so this bounds concurrent writers: keep it well above the number of
   * people who may type in one document at once.
   */
  readonly maxParents?: number;
}

/** Limits with every field filled in. */
export interface ResolvedLimits {
  readonly maxMessageBytes: number;
  readonly maxEventsPerMessage: number;
  readonly maxOpComponents: number;
  readonly maxParents: number;
}

/** 1 MiB: what a server accepts from a client by default. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Events per client `operation` by default. */
export const DEFAULT_MAX_EVENTS_PER_MESSAGE = 1_000;
/** Components per text operation in client messages by default. */
export const DEFAULT_MAX_OP_COMPONENTS = 10_000;
/**
 * Parents per event in client messages by default: the sync core's own default cap (4096), so the
 * wire accepts every event a core replica accepts and makes. (The old wire cap of 64 refused the
 * events of a replica that had merged 72 concurrent writers.)
 */
export const DEFAULT_MAX_PARENTS = 4096;

/** Defaults for client → server frames (the server's edge validator). */
export const DEFAULT_CLIENT_MESSAGE_LIMITS: ResolvedLimits = Object.freeze({
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxEventsPerMessage: DEFAULT_MAX_EVENTS_PER_MESSAGE,
  maxOpComponents: DEFAULT_MAX_OP_COMPONENTS,
  maxParents: DEFAULT_MAX_PARENTS,
});

/**
 * Defaults for server → client frames. Looser, because a client trusts its server more than a
 * server trusts the internet, and because a first `session_joined` carries a document's whole
 * history: the cap is there only to stop a broken server from exhausting a browser's memory.
 */
export const DEFAULT_SERVER_MESSAGE_LIMITS: ResolvedLimits = Object.freeze({
  maxMessageBytes: 256 * 1024 * 1024,
  maxEventsPerMessage: Number.MAX_SAFE_INTEGER,
  maxOpComponents: DEFAULT_MAX_COMPONENTS,
  maxParents: Number.MAX_SAFE_INTEGER,
});

// ----- fixed field caps (UTF-16 code units unless said otherwise) -----

/** Document ids: 1..256 characters. Any well-formed string, including "__proto__". */
export const MAX_DOC_ID_LENGTH = 256;
/** Presence room ids: 1..256 characters. */
export const MAX_ROOM_LENGTH = 256;
/** Client-chosen operation ids, echoed in acks: 1..128 characters. */
export const MAX_OPERATION_ID_LENGTH = 128;
/** Text names (a document holds several named texts; "body" by default): 1..256 characters. */
export const MAX_TEXT_NAME_LENGTH = 256;
/** Map names in `session_joined.maps`: 1..256 characters (core's limit on names). */
export const MAX_MAP_NAME_LENGTH = 256;
/** Map keys in `session_joined.maps`: at most 1024 characters (core's limit on keys). */
export const MAX_MAP_KEY_LENGTH = 1024;
/** Bearer tokens (JWT) and share-link tokens: 1..16 KiB. */
export const MAX_TOKEN_LENGTH = 16 * 1024;
/** App-defined room broadcast event names: 1..128 characters. */
export const MAX_EVENT_NAME_LENGTH = 128;
/** User ids (also dev-mode `devUser.id`): 1..128 characters, like core agent ids. */
export const MAX_USER_ID_LENGTH = 128;
/** Connection ids (signaling targets): 1..128 characters. */
export const MAX_CONNECTION_ID_LENGTH = 128;
/** Display names: 1..256 characters. */
export const MAX_DISPLAY_NAME_LENGTH = 256;
/** Presence activity text ("editing section 3"): at most 256 characters, empty clears it. */
export const MAX_ACTIVITY_LENGTH = 256;
/** `hello.client.name` / `.version` and `welcome.server.version`: 1..128 characters. */
export const MAX_SOFTWARE_INFO_LENGTH = 128;
/** Entries in `hello.protocols`. */
export const MAX_PROTOCOL_ENTRIES = 16;
/** Presence `custom`: at most 32 top-level fields… */
export const MAX_CUSTOM_KEYS = 32;
/** …and at most 4 KiB as JSON text. */
export const MAX_CUSTOM_BYTES = 4 * 1024;
/** Signal and room broadcast `data`: at most 64 KiB as JSON text. */
export const MAX_DATA_BYTES = 64 * 1024;
/** Deepest nesting inside `custom` / `data` values (the value itself is depth 1). */
export const MAX_DATA_DEPTH = 32;
/** Deepest nesting of a shared-map value (the sync core's own limit, so every stored value passes). */
export const MAX_MAP_VALUE_DEPTH = 64;
/** Error message text from a server: at most 4 KiB. */
export const MAX_ERROR_MESSAGE_LENGTH = 4 * 1024;

/**
 * Fills in defaults and checks the caller's settings. A bad setting is a programming error in the
 * embedding server or client, so it throws a TypeError rather than a ProtocolError.
 */
export function resolveLimits(limits: ProtocolLimits | undefined, defaults: ResolvedLimits): ResolvedLimits {
  const pick = (name: keyof ProtocolLimits): number => {
    const v = limits?.[name] ?? defaults[name];
    if (!Number.isSafeInteger(v) || v <= 0) throw new TypeError(`limits.${name} must be a positive safe integer, got ${String(v)}`);
    return v;
  };
  return {
    maxMessageBytes: pick('maxMessageBytes'),
    maxEventsPerMessage: pick('maxEventsPerMessage'),
    maxOpComponents: pick('maxOpComponents'),
    maxParents: pick('maxParents'),
  };
}
