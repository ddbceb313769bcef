/**
 * The client SDK's validator for what a server sends: `parseServerMessage` checks one frame as
 * strictly as the server checks client frames (every field, no unknown fields), with looser size
 * defaults because a first `session_joined` carries a whole document history. A client that
 * validates here can trust every field it reads, even from a buggy or hostile server.
 */
import type { JsonValue } from '@tandem/core';
import { base64Text } from './base64.js';
import { checkEventList, checkOperations } from './core-values.js';
import {
  arrayOf,
  boundedString,
  fail,
  FieldReader,
  finiteNumber,
  isPlainObject,
  mustBe,
  nonNegativeInt,
  oneOf,
  ownValue,
  positiveInt,
  type Check,
  type Writable,
} from './fields.js';
import { parseFrame, validateWith, validatorMap, type MessageValidator } from './frame.js';
import { checkJsonData, defineField, keyPath } from './json-data.js';
import {
  DEFAULT_SERVER_MESSAGE_LIMITS,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_MAP_KEY_LENGTH,
  MAX_MAP_NAME_LENGTH,
  MAX_MAP_VALUE_DEPTH,
  MAX_OPERATION_ID_LENGTH,
  MAX_SOFTWARE_INFO_LENGTH,
  resolveLimits,
  type ProtocolLimits,
  type ResolvedLimits,
} from './limits.js';
import {
  ErrorCode,
  PROTOCOL_VERSIONS,
  type ErrorMessage,
  type ProtocolVersion,
  type RemoteOperationMessage,
  type RoomEventMessage,
  type ServerMessage,
  type SessionJoinedMessage,
  type SyncMessage,
  type WelcomeMessage,
} from './messages.js';
import { color, cursorOrNull, displayName, presencePeer, textName, userId } from './presence.js';
import { connectionId, data, docId, eventName, level, messageReader, operationId, room, scope, scopeId } from './wire-fields.js';

/** Server arrays are bounded by the frame size, not by a count of their own. */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;
const peers = arrayOf(presencePeer, 0, UNBOUNDED);
const softwareInfo = boundedString(1, MAX_SOFTWARE_INFO_LENGTH);
const anyText = boundedString(0, UNBOUNDED);
const mapName = boundedString(1, MAX_MAP_NAME_LENGTH);
const mapKey = boundedString(0, MAX_MAP_KEY_LENGTH);
const errorCode = oneOf(Object.values(ErrorCode));
// A ref is an operationId or a message type; operation ids are the longer of the two.
const errorRef = boundedString(1, MAX_OPERATION_ID_LENGTH);

const protocolVersion: Check<ProtocolVersion> = (v, path) => {
  const known: readonly number[] = PROTOCOL_VERSIONS;
  if (typeof v !== 'number' || !known.includes(v)) return mustBe(path, `one of the versions this client speaks (${known.join(', ')})`, v);
  return v as ProtocolVersion;
};

/** Checks every value of an input-keyed object, copying it with keys stored as plain own data. */
function record<T>(key: Check<string>, value: Check<T>): Check<{ readonly [k: string]: T }> {
  return (v, path) => {
    if (!isPlainObject(v)) return mustBe(path, 'an object', v);
    const out: Record<string, T> = {};
    for (const k of Object.keys(v)) {
      const p = keyPath(path, k);
      key(k, p);
      defineField(out, k, value(ownValue(v, k, path), p));
    }
    return out;
  };
}

function events(limits: ResolvedLimits): Check<ReturnType<typeof checkEventList>> {
  return (x, p) => checkEventList(x, p, limits.maxEventsPerMessage, limits);
}

const welcome: MessageValidator<WelcomeMessage> = (v) => {
  const r = messageReader(v, 'welcome', ['protocol', 'server', 'connectionId', 'user', 'heartbeatMs', 'limits']);
  return {
    type: 'welcome',
    protocol: r.req('protocol', protocolVersion),
    server: r.req('server', (x, p) => {
      const s = new FieldReader(x, p, ['name', 'version']);
      return { name: s.req('name', oneOf(['tandem'])), version: s.req('version', softwareInfo) };
    }),
    connectionId: r.req('connectionId', connectionId),
    user: r.req('user', (x, p) => {
      const u = new FieldReader(x, p, ['id', 'name', 'color']);
      return { id: u.req('id', userId), name: u.req('name', displayName), color: u.req('color', color) };
    }),
    heartbeatMs: r.req('heartbeatMs', positiveInt),
    limits: r.req('limits', (x, p) => {
      const l = new FieldReader(x, p, ['maxMessageBytes', 'maxEventsPerMessage']);
      return { maxMessageBytes: l.req('maxMessageBytes', positiveInt), maxEventsPerMessage: l.req('maxEventsPerMessage', positiveInt) };
    }),
  };
};

const sessionJoined: MessageValidator<SessionJoinedMessage> = (v, limits) => {
  const r = messageReader(v, 'session_joined', ['docId', 'version', 'level', 'events', 'snapshot', 'content', 'maps', 'activeUsers']);
  const out: Writable<SessionJoinedMessage> = {
    type: 'session_joined',
    docId: r.req('docId', docId),
    version: r.req('version', nonNegativeInt),
    level: r.req('level', level),
    activeUsers: r.req('activeUsers', peers),
  };
  const evs = r.opt('events', events(limits));
  if (evs !== undefined) out.events = evs;
  const content = r.opt('content', record(textName, anyText));
  if (content !== undefined) out.content = content;
  const mapValue: Check<JsonValue> = (x, p) => checkJsonData(x, p, { maxBytes: limits.maxMessageBytes, maxDepth: MAX_MAP_VALUE_DEPTH });
  const maps = r.opt('maps', record(mapName, record(mapKey, mapValue)));
  if (maps !== undefined) out.maps = maps;
  const snapshot = r.opt('snapshot', base64Text);
  if (snapshot !== undefined) {
    // The snapshot is the whole document: with events or texts beside it, which one would be the truth?
    const beside = ['events', 'content', 'maps'].filter((k) => r.has(k));
    if (beside.length > 0) fail(ErrorCode.BadMessage, `session_joined carries a snapshot, so it must not have ${beside.join(', ')}`);
    out.snapshot = snapshot;
  }
  return out;
};

/** Like the client's `operation`, two shapes share one type: events, or a plain OT operation on `text`. */
const remoteOperation: MessageValidator<RemoteOperationMessage> = (v, limits) => {
  const r = messageReader(v, 'remote_operation', ['docId', 'version', 'userId', 'events', 'text', 'operations']);
  const base = {
    type: 'remote_operation',
    docId: r.req('docId', docId),
    version: r.req('version', nonNegativeInt),
    userId: r.req('userId', userId),
  } as const;
  if (r.has('events')) {
    if (r.has('text') || r.has('operations')) fail(ErrorCode.BadMessage, 'remote_operation must carry either events or text and operations, not both');
    return { ...base, events: r.req('events', events(limits)) };
  }
  return { ...base, text: r.req('text', textName), operations: r.req('operations', (x, p) => checkOperations(x, p, limits.maxOpComponents)) };
};

const sync: MessageValidator<SyncMessage> = (v, limits) => {
  const r = messageReader(v, 'sync', ['docId', 'version', 'events', 'operations']);
  const out: Writable<SyncMessage> = { type: 'sync', docId: r.req('docId', docId), version: r.req('version', nonNegativeInt) };
  const evs = r.opt('events', events(limits));
  if (evs !== undefined) out.events = evs;
  const step = (x: unknown, p: string): { version: number; text: string; operations: ReturnType<typeof checkOperations> } => {
    const s = new FieldReader(x, p, ['version', 'text', 'operations']);
    return {
      version: s.req('version', nonNegativeInt),
      text: s.req('text', textName),
      operations: s.req('operations', (y, q) => checkOperations(y, q, limits.maxOpComponents)),
    };
  };
  const ops = r.opt('operations', arrayOf(step, 0, UNBOUNDED));
  if (ops !== undefined) out.operations = ops;
  return out;
};

const roomEvent: MessageValidator<RoomEventMessage> = (v) => {
  const r = messageReader(v, 'room_event', ['room', 'from', 'event', 'data']);
  const out: Writable<RoomEventMessage> = { type: 'room_event', room: r.req('room', room), from: r.req('from', userId), event: r.req('event', eventName) };
  const d = r.opt('data', data);
  if (d !== undefined) out.data = d;
  return out;
};

const error: MessageValidator<ErrorMessage> = (v) => {
  const r = messageReader(v, 'error', ['code', 'message', 'docId', 'ref', 'currentVersion']);
  const out: Writable<ErrorMessage> = {
    type: 'error',
    code: r.req('code', errorCode),
    message: r.req('message', boundedString(0, MAX_ERROR_MESSAGE_LENGTH)),
  };
  const d = r.opt('docId', docId);
  if (d !== undefined) out.docId = d;
  const ref = r.opt('ref', errorRef);
  if (ref !== undefined) out.ref = ref;
  const cv = r.opt('currentVersion', nonNegativeInt);
  if (cv !== undefined) out.currentVersion = cv;
  return out;
};

const SERVER_VALIDATORS = validatorMap<ServerMessage>({
  welcome,
  session_joined: sessionJoined,
  operation_ack: (v) => {
    const r = messageReader(v, 'operation_ack', ['docId', 'operationId', 'version', 'duplicates']);
    return {
      type: 'operation_ack',
      docId: r.req('docId', docId),
      operationId: r.req('operationId', operationId),
      version: r.req('version', nonNegativeInt),
      duplicates: r.req('duplicates', nonNegativeInt),
    };
  },
  remote_operation: remoteOperation,
  remote_cursor: (v) => {
    const r = messageReader(v, 'remote_cursor', ['docId', 'userId', 'version', 'cursor']);
    return {
      type: 'remote_cursor',
      docId: r.req('docId', docId),
      userId: r.req('userId', userId),
      version: r.req('version', nonNegativeInt),
      cursor: r.req('cursor', cursorOrNull),
    };
  },
  presence: (v) => {
    const r = messageReader(v, 'presence', ['scope', 'id', 'peer']);
    return { type: 'presence', scope: r.req('scope', scope), id: r.req('id', scopeId), peer: r.req('peer', presencePeer) };
  },
  user_joined: (v) => {
    const r = messageReader(v, 'user_joined', ['scope', 'id', 'peer']);
    return { type: 'user_joined', scope: r.req('scope', scope), id: r.req('id', scopeId), peer: r.req('peer', presencePeer) };
  },
  user_left: (v) => {
    const r = messageReader(v, 'user_left', ['scope', 'id', 'userId']);
    return { type: 'user_left', scope: r.req('scope', scope), id: r.req('id', scopeId), userId: r.req('userId', userId) };
  },
  sync,
  room_joined: (v) => {
    const r = messageReader(v, 'room_joined', ['room', 'members']);
    return { type: 'room_joined', room: r.req('room', room), members: r.req('members', peers) };
  },
  room_event: roomEvent,
  signal: (v) => {
    const r = messageReader(v, 'signal', ['docId', 'from', 'userId', 'level', 'data']);
    return {
      type: 'signal',
      docId: r.req('docId', docId),
      from: r.req('from', connectionId),
      userId: r.req('userId', userId),
      level: r.req('level', level),
      data: r.req('data', data),
    };
  },
  pong: (v) => ({ type: 'pong', t: messageReader(v, 'pong', ['t']).req('t', finiteNumber) }),
  error,
});

/** Every server message type. */
export const SERVER_MESSAGE_TYPES: readonly string[] = Object.freeze([...SERVER_VALIDATORS.keys()]);

/**
 * Parses and validates one frame a server sent (the client SDK's counterpart of
 * parseClientMessage). Defaults: DEFAULT_SERVER_MESSAGE_LIMITS.
 * @throws ProtocolError with the same codes as parseClientMessage.
 */
export function parseServerMessage(raw: string | Uint8Array, limits?: ProtocolLimits): ServerMessage {
  return parseFrame(raw, resolveLimits(limits, DEFAULT_SERVER_MESSAGE_LIMITS), SERVER_VALIDATORS);
}

/** Validates a server message that is already parsed (for example one event of the SSE fallback). */
export function validateServerMessage(value: unknown, limits?: ProtocolLimits): ServerMessage {
  return validateWith(value, resolveLimits(limits, DEFAULT_SERVER_MESSAGE_LIMITS), SERVER_VALIDATORS);
}
