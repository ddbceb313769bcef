/**
 * The server's edge validator: `parseClientMessage` turns one untrusted frame from a client into a
 * fresh, fully checked ClientMessage, or throws a ProtocolError with the wire code to answer with.
 * Every field of every client message type is checked here (types, ranges, string lengths, unknown
 * fields), so code behind the edge never sees a value the message types do not promise.
 */
import { checkEventList, checkOperations } from './core-values.js';
import { arrayOf, boolean, boundedString, fail, FieldReader, finiteNumber, nonNegativeInt, oneOf, positiveInt, type Writable } from './fields.js';
import { parseFrame, validateWith, validatorMap, type MessageValidator } from './frame.js';
import { DEFAULT_CLIENT_MESSAGE_LIMITS, MAX_PROTOCOL_ENTRIES, MAX_SOFTWARE_INFO_LENGTH, resolveLimits, type ProtocolLimits } from './limits.js';
import {
  ErrorCode,
  type ClientMessage,
  type HelloMessage,
  type JoinRoomMessage,
  type JoinSessionMessage,
  type OperationMessage,
  type RoomBroadcastMessage,
} from './messages.js';
import { cursorOrNull, displayName, presenceState, textName, userId } from './presence.js';
import { connectionId, data, docId, eventName, messageReader, operationId, room, scope, scopeId, token } from './wire-fields.js';

const protocols = arrayOf(positiveInt, 1, MAX_PROTOCOL_ENTRIES);
const softwareInfo = boundedString(1, MAX_SOFTWARE_INFO_LENGTH);
const mode = oneOf(['events', 'ot']);

const hello: MessageValidator<HelloMessage> = (v) => {
  const r = messageReader(v, 'hello', ['protocols', 'token', 'devUser', 'client']);
  const out: Writable<HelloMessage> = { type: 'hello', protocols: r.req('protocols', protocols) };
  const t = r.opt('token', token);
  if (t !== undefined) out.token = t;
  const devUser = r.opt('devUser', (x, path) => {
    const u = new FieldReader(x, path, ['id', 'name']);
    const id = u.req('id', userId);
    const name = u.opt('name', displayName);
    return name === undefined ? { id } : { id, name };
  });
  if (devUser !== undefined) out.devUser = devUser;
  const client = r.opt('client', (x, path) => {
    const c = new FieldReader(x, path, ['name', 'version']);
    return { name: c.req('name', softwareInfo), version: c.req('version', softwareInfo) };
  });
  if (client !== undefined) out.client = client;
  return out;
};

const joinSession: MessageValidator<JoinSessionMessage> = (v) => {
  const r = messageReader(v, 'join_session', ['docId', 'mode', 'since', 'link', 'presence', 'snapshot']);
  const out: Writable<JoinSessionMessage> = { type: 'join_session', docId: r.req('docId', docId) };
  const m = r.opt('mode', mode);
  if (m !== undefined) out.mode = m;
  const since = r.opt('since', nonNegativeInt);
  if (since !== undefined) out.since = since;
  const link = r.opt('link', token);
  if (link !== undefined) out.link = link;
  const presence = r.opt('presence', presenceState);
  if (presence !== undefined) out.presence = presence;
  const snapshot = r.opt('snapshot', boolean);
  if (snapshot !== undefined) {
    // A snapshot replaces the whole history: it means nothing for a resume or a plain OT client.
    if (snapshot && out.mode === 'ot') fail(ErrorCode.BadMessage, 'join_session.snapshot is for mode "events", not "ot"');
    if (snapshot && since !== undefined && since > 0) fail(ErrorCode.BadMessage, `join_session.snapshot is for a first join, not a resume (since ${since})`);
    out.snapshot = snapshot;
  }
  return out;
};

/**
 * Two shapes share the type "operation": events (mode 'events') or a plain OT operation against a
 * server version (mode 'ot'). A message mixing the two is refused rather than half-applied.
 */
const operation: MessageValidator<OperationMessage> = (v, limits) => {
  const r = messageReader(v, 'operation', ['docId', 'operationId', 'events', 'version', 'text', 'operations']);
  const base = { type: 'operation', docId: r.req('docId', docId), operationId: r.req('operationId', operationId) } as const;
  const otFields = ['version', 'text', 'operations'].filter((k) => r.has(k));
  if (r.has('events')) {
    if (otFields.length > 0) {
      fail(ErrorCode.BadMessage, `operation carries events, so it must not have ${otFields.join(', ')} (those are for mode "ot")`);
    }
    return { ...base, events: r.req('events', (x, p) => checkEventList(x, p, limits.maxEventsPerMessage, limits)) };
  }
  if (!r.has('operations')) {
    fail(ErrorCode.BadMessage, 'operation must carry either events (mode "events") or version and operations (mode "ot")');
  }
  const version = r.req('version', nonNegativeInt);
  const text = r.opt('text', textName);
  const operations = r.req('operations', (x, p) => checkOperations(x, p, limits.maxOpComponents));
  return text === undefined ? { ...base, version, operations } : { ...base, version, text, operations };
};

const joinRoom: MessageValidator<JoinRoomMessage> = (v) => {
  const r = messageReader(v, 'join_room', ['room', 'presence']);
  const out: Writable<JoinRoomMessage> = { type: 'join_room', room: r.req('room', room) };
  const presence = r.opt('presence', presenceState);
  if (presence !== undefined) out.presence = presence;
  return out;
};

const roomBroadcast: MessageValidator<RoomBroadcastMessage> = (v) => {
  const r = messageReader(v, 'room_broadcast', ['room', 'event', 'data']);
  const out: Writable<RoomBroadcastMessage> = { type: 'room_broadcast', room: r.req('room', room), event: r.req('event', eventName) };
  const d = r.opt('data', data);
  if (d !== undefined) out.data = d;
  return out;
};

const CLIENT_VALIDATORS = validatorMap<ClientMessage>({
  hello,
  join_session: joinSession,
  leave_session: (v) => ({ type: 'leave_session', docId: messageReader(v, 'leave_session', ['docId']).req('docId', docId) }),
  operation,
  cursor_update: (v) => {
    const r = messageReader(v, 'cursor_update', ['docId', 'version', 'cursor']);
    return { type: 'cursor_update', docId: r.req('docId', docId), version: r.req('version', nonNegativeInt), cursor: r.req('cursor', cursorOrNull) };
  },
  presence_update: (v) => {
    const r = messageReader(v, 'presence_update', ['scope', 'id', 'state']);
    return { type: 'presence_update', scope: r.req('scope', scope), id: r.req('id', scopeId), state: r.req('state', presenceState) };
  },
  request_sync: (v) => {
    const r = messageReader(v, 'request_sync', ['docId', 'since']);
    return { type: 'request_sync', docId: r.req('docId', docId), since: r.req('since', nonNegativeInt) };
  },
  join_room: joinRoom,
  leave_room: (v) => ({ type: 'leave_room', room: messageReader(v, 'leave_room', ['room']).req('room', room) }),
  room_broadcast: roomBroadcast,
  signal: (v) => {
    const r = messageReader(v, 'signal', ['docId', 'to', 'data']);
    return { type: 'signal', docId: r.req('docId', docId), to: r.req('to', connectionId), data: r.req('data', data) };
  },
  ping: (v) => ({ type: 'ping', t: messageReader(v, 'ping', ['t']).req('t', finiteNumber) }),
});

/** Every client message type. */
export const CLIENT_MESSAGE_TYPES: readonly string[] = Object.freeze([...CLIENT_VALIDATORS.keys()]);

/**
 * Parses and validates one frame a client sent. Checks, in order: size (`maxMessageBytes`, before
 * decoding), UTF-8 and JSON, a plain object with a string `type`, a known type, then every field.
 * The result is a fresh copy sharing nothing with the input.
 * @throws ProtocolError MESSAGE_TOO_BIG, BAD_MESSAGE, UNKNOWN_TYPE, INVALID_OPERATION (a malformed
 *   event or text operation) or LIMIT_EXCEEDED (too many events, op components, custom fields or
 *   data bytes). `ref` names the operationId or message type, `docId` the document when valid.
 */
export function parseClientMessage(raw: string | Uint8Array, limits?: ProtocolLimits): ClientMessage {
  return parseFrame(raw, resolveLimits(limits, DEFAULT_CLIENT_MESSAGE_LIMITS), CLIENT_VALIDATORS);
}

/**
 * Validates a client message that is already parsed (for example the JSON body of an HTTP
 * fallback request): everything parseClientMessage checks after JSON.parse.
 */
export function validateClientMessage(value: unknown, limits?: ProtocolLimits): ClientMessage {
  return validateWith(value, resolveLimits(limits, DEFAULT_CLIENT_MESSAGE_LIMITS), CLIENT_VALIDATORS);
}
