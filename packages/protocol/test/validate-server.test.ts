/**
 * parseServerMessage: the client SDK's view. Every valid server example parses to an equal copy;
 * each invalid class fails; the looser size defaults admit a large first sync.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, parseServerMessage, SERVER_MESSAGE_TYPES, validateServerMessage, type ErrorCode as Code } from '../src/index.js';
import { EXAMPLE_EVENTS, SERVER_EXAMPLES } from './support/examples.js';
import { expectCode, json, without } from './support/expect.js';

const E = ErrorCode;

function example(type: string, nth = 0): Record<string, unknown> {
  const m = SERVER_EXAMPLES.filter((x) => x.type === type)[nth];
  if (m === undefined) throw new Error(`no example of ${type}`);
  return JSON.parse(JSON.stringify(m)) as Record<string, unknown>;
}

describe('parseServerMessage: valid messages', () => {
  it('parses every example to an equal, fresh value', () => {
    for (const m of SERVER_EXAMPLES) {
      const text = JSON.stringify(m);
      assert.deepStrictEqual(parseServerMessage(text), m, text);
      assert.deepStrictEqual(validateServerMessage(JSON.parse(text)), m);
    }
  });

  it('has an example of every server message type', () => {
    assert.deepStrictEqual([...new Set(SERVER_EXAMPLES.map((m) => m.type))].sort(), [...SERVER_MESSAGE_TYPES].sort());
  });

  it('admits a first sync far larger than a client may send', () => {
    const events = Array.from({ length: 5_000 }, (_, i) => ({
      id: { agent: 'a', seq: i },
      parents: i === 0 ? [] : [{ agent: 'a', seq: i - 1 }],
      change: { type: 'text', name: 'body', op: [{ type: 'insert', content: 'x'.repeat(300) }] },
    }));
    const text = json(example('session_joined'), { events, version: events.length });
    assert.ok(Buffer.byteLength(text) > 1024 * 1024);
    const m = parseServerMessage(text);
    assert.ok(m.type === 'session_joined' && m.events?.length === 5_000);
  });
});

const welcome = example('welcome');
const CASES: readonly (readonly [string, string, Code, string?])[] = [
  ['welcome: unknown protocol', json(welcome, { protocol: 3 }), E.BadMessage, 'welcome.protocol must be one of the versions this client speaks'],
  ['welcome: server name', json(welcome, { server: { name: 'other', version: '1' } }), E.BadMessage, 'welcome.server.name'],
  ['welcome: heartbeat zero', json(welcome, { heartbeatMs: 0 }), E.BadMessage, 'welcome.heartbeatMs'],
  ['welcome: limits extra field', json(welcome, { limits: { maxMessageBytes: 1, maxEventsPerMessage: 1, x: 1 } }), E.BadMessage, 'unknown field "x"'],
  ['welcome: user color', json(welcome, { user: { id: 'u', name: 'n', color: 'blue' } }), E.BadMessage, 'welcome.user.color'],
  ['session_joined: level', json(example('session_joined'), { level: 'admin' }), E.BadMessage, 'session_joined.level must be one of "owner", "editor", "commenter", "viewer"'],
  ['session_joined: activeUsers missing', without(example('session_joined'), 'activeUsers'), E.BadMessage, 'session_joined.activeUsers is required'],
  ['session_joined: content value', json(example('session_joined', 1), { content: { body: 5 } }), E.BadMessage, 'session_joined.content.body'],
  ['session_joined: content key empty', json(example('session_joined', 1), { content: { '': 'x' } }), E.BadMessage, 'session_joined.content[""]'],
  ['session_joined: map value infinite', '{"type":"session_joined","docId":"d","version":0,"level":"viewer","maps":{"m":{"k":-1e999}},"activeUsers":[]}', E.BadMessage, 'finite'],
  ['session_joined: peer lastSeen', json(example('session_joined'), { activeUsers: [{ ...example('presence')['peer'] as object, lastSeen: -5 }] }), E.BadMessage, 'activeUsers[0].lastSeen'],
  ['session_joined: snapshot not a string', json(example('session_joined', 1), { snapshot: 5, content: undefined, maps: undefined }), E.BadMessage, 'session_joined.snapshot must be a base64 string'],
  ['session_joined: snapshot bad character', json(example('session_joined'), { events: undefined, snapshot: 'AAA*' }), E.BadMessage, 'session_joined.snapshot must be base64: character 3 ("*")'],
  ['session_joined: snapshot bad length', json(example('session_joined'), { events: undefined, snapshot: 'AAAAA' }), E.BadMessage, 'is not a multiple of 4'],
  ['session_joined: snapshot with events', json(example('session_joined'), { snapshot: 'AAAA' }), E.BadMessage, 'session_joined carries a snapshot, so it must not have events'],
  ['session_joined: bad event', json(example('session_joined'), { events: [{ ...EXAMPLE_EVENTS[1], parents: [{ agent: 'alice-tab1', seq: 1 }] }] }), E.InvalidOperation, 'session_joined.events[0]'],
  ['operation_ack: duplicates', json(example('operation_ack'), { duplicates: -1 }), E.BadMessage, 'operation_ack.duplicates'],
  ['operation_ack: operationId missing', without(example('operation_ack'), 'operationId'), E.BadMessage, 'operation_ack.operationId is required'],
  ['remote_operation: both shapes', json(example('remote_operation'), { text: 'body', operations: [] }), E.BadMessage, 'not both'],
  ['remote_operation: ot without text', without(example('remote_operation', 1), 'text'), E.BadMessage, 'remote_operation.text is required'],
  ['remote_operation: bad op', json(example('remote_operation', 1), { operations: [{ type: 'delete', length: -1 }] }), E.InvalidOperation],
  ['remote_cursor: cursor', json(example('remote_cursor'), { cursor: { anchor: 1 } }), E.BadMessage, 'remote_cursor.cursor.head is required'],
  ['presence: peer missing', without(example('presence'), 'peer'), E.BadMessage, 'presence.peer is required'],
  ['presence: peer status', json(example('presence'), { peer: { ...(example('presence')['peer'] as object), status: 'busy' } }), E.BadMessage, 'presence.peer.status'],
  ['user_joined: scope', json(example('user_joined'), { scope: 'team' }), E.BadMessage, 'user_joined.scope'],
  ['user_left: userId', json(example('user_left'), { userId: '' }), E.BadMessage, 'user_left.userId'],
  ['sync: step without text', json(example('sync', 1), { operations: [{ version: 1, operations: [] }] }), E.BadMessage, 'sync.operations[0].text is required'],
  ['sync: version', json(example('sync'), { version: 'latest' }), E.BadMessage, 'sync.version'],
  ['room_joined: members', json(example('room_joined'), { members: {} }), E.BadMessage, 'room_joined.members must be an array'],
  ['room_event: event name', json(example('room_event'), { event: '' }), E.BadMessage, 'room_event.event'],
  ['signal: level', json(example('signal'), { level: 'root' }), E.BadMessage, 'signal.level'],
  ['signal: client shape', json({ type: 'signal', docId: 'd', to: 'c', data: 1 }), E.BadMessage, 'unknown field "to"'],
  ['pong: t', json({ type: 'pong', t: 'now' }), E.BadMessage, 'pong.t'],
  ['error: unknown code', json(example('error'), { code: 'E_WEIRD' }), E.BadMessage, 'error.code must be one of'],
  ['error: message missing', without(example('error'), 'message'), E.BadMessage, 'error.message is required'],
  ['error: currentVersion', json(example('error'), { currentVersion: 1.5 }), E.BadMessage, 'error.currentVersion'],
];

describe('parseServerMessage: invalid messages', () => {
  it('fails each invalid class with its code', () => {
    for (const [label, frame, code, text] of CASES) expectCode(() => parseServerMessage(frame), code, text, label);
  });

  it('refuses an unknown extra field in every example', () => {
    for (const m of SERVER_EXAMPLES) expectCode(() => parseServerMessage(json(m, { extra: true })), E.BadMessage, 'unknown field "extra"', m.type);
  });

  it('applies caller limits', () => {
    expectCode(() => parseServerMessage(json(example('session_joined')), { maxEventsPerMessage: 3 }), E.LimitExceeded, 'more than the limit of 3');
    expectCode(() => parseServerMessage(json(example('session_joined')), { maxMessageBytes: 100 }), E.MessageTooBig);
  });
});
