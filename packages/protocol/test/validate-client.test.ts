/**
 * parseClientMessage: every valid example parses to an equal fresh copy, and each class of invalid
 * input of each message type fails with the wire code a server should answer with.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Doc, agentId, checkEvent, eventToJSON } from '@tandem/core';
import {
  CLIENT_MESSAGE_TYPES,
  DEFAULT_MAX_PARENTS,
  ErrorCode,
  MAX_CUSTOM_BYTES,
  MAX_DATA_BYTES,
  parseClientMessage,
  validateClientMessage,
  type ErrorCode as Code,
} from '../src/index.js';
import { CLIENT_EXAMPLES, EXAMPLE_EVENTS } from './support/examples.js';
import { expectCode, json, without } from './support/expect.js';

const E = ErrorCode;
const s = (n: number, c = 'a'): string => c.repeat(n);
const join = { type: 'join_session', docId: 'd1' };
const ot = { type: 'operation', docId: 'd1', operationId: 'op', version: 3, operations: [{ type: 'insert', content: 'x' }] };
const evOp = { type: 'operation', docId: 'd1', operationId: 'op', events: [EXAMPLE_EVENTS[0]] };
const presence = (state: Record<string, unknown>): string => json({ type: 'presence_update', scope: 'doc', id: 'd1', state });

describe('parseClientMessage: valid messages', () => {
  it('parses every example to an equal, fresh value', () => {
    for (const m of CLIENT_EXAMPLES) {
      const text = JSON.stringify(m);
      const parsed = parseClientMessage(text);
      assert.deepStrictEqual(parsed, m, text);
      assert.notStrictEqual(parsed, m);
      // Bytes (as a ws server hands them over) and pre-parsed values give the same result.
      assert.deepStrictEqual(parseClientMessage(Buffer.from(text, 'utf8')), m);
      assert.deepStrictEqual(validateClientMessage(JSON.parse(text)), m);
    }
  });

  it('has an example of every client message type', () => {
    const covered = new Set(CLIENT_EXAMPLES.map((m) => m.type));
    assert.deepStrictEqual([...CLIENT_MESSAGE_TYPES].sort(), [...covered].sort());
  });

  it('accepts every field at its bound', () => {
    const ok = [
      json(join, { docId: s(256) }),
      json({ type: 'join_room', room: s(256) }),
      json(ot, { operationId: s(128), text: s(256) }),
      json({ type: 'hello', protocols: Array.from({ length: 16 }, (_, i) => i + 1), token: s(16 * 1024) }),
      json({ type: 'room_broadcast', room: 'r', event: s(128) }),
      presence({ activity: s(256), name: s(256) }),
      presence({ custom: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, i])) }),
      presence({ custom: { k: s(MAX_CUSTOM_BYTES - 10) } }), // {"k":"…"} is 8 bytes of overhead
      json({ type: 'signal', docId: 'd', to: 'c', data: s(MAX_DATA_BYTES - 2) }),
      json({ type: 'request_sync', docId: 'd', since: Number.MAX_SAFE_INTEGER }),
      json({ type: 'cursor_update', docId: 'd', version: 0, cursor: { anchor: Number.MAX_SAFE_INTEGER, head: 0 } }),
      json(join, { docId: '😀'.repeat(128) }), // 256 code units
    ];
    for (const text of ok) assert.doesNotThrow(() => parseClientMessage(text), text.slice(0, 80));
  });

  it('accepts every CSS hex color form and refuses others', () => {
    for (const color of ['#abc', '#ABCD', '#a1b2c3', '#a1b2c3d4']) assert.doesNotThrow(() => parseClientMessage(presence({ color })));
    for (const color of ['abc', '#ab', '#abcde', '#gggggg', 'red', '#a1b2c3d4e', 'rgb(1,2,3)', ' #abc', 3]) {
      expectCode(() => parseClientMessage(presence({ color })), E.BadMessage, 'CSS hex color', String(color));
    }
  });

  it('returns copies that share nothing with a pre-parsed input', () => {
    const input = JSON.parse(json({ type: 'room_broadcast', room: 'r', event: 'e', data: { a: [1, { b: 2 }] } })) as { data: { a: unknown[] } };
    const out = validateClientMessage(input);
    assert.ok(out.type === 'room_broadcast');
    assert.notStrictEqual(out.data, input.data);
    (input.data.a as unknown[]).push(3);
    assert.deepStrictEqual(out.data, { a: [1, { b: 2 }] });
  });

  it('turns -0 into 0 so accepted messages survive a JSON round trip', () => {
    const m = parseClientMessage('{"type":"cursor_update","docId":"d","version":-0,"cursor":{"anchor":-0,"head":-0.0}}');
    assert.ok(m.type === 'cursor_update' && m.cursor !== null);
    for (const v of [m.version, m.cursor.anchor, m.cursor.head]) assert.ok(Object.is(v, 0));
    const p = parseClientMessage('{"type":"ping","t":-0}');
    assert.ok(p.type === 'ping' && Object.is(p.t, 0));
  });

  it('normalises operations through core checkOp', () => {
    const m = parseClientMessage(json(ot, { operations: [{ type: 'retain', length: 2 }, { type: 'retain', length: 3 }, { type: 'insert', content: 'x' }, { type: 'retain', length: 4 }] }));
    assert.ok(m.type === 'operation' && 'operations' in m);
    assert.deepStrictEqual(m.operations, [{ type: 'retain', length: 5 }, { type: 'insert', content: 'x' }]);
  });
});

/** [label, frame, expected code, text the message must contain] */
type Case = readonly [string, string, Code, string?];

const CASES: Record<string, readonly Case[]> = {
  hello: [
    ['protocols missing', json({ type: 'hello' }), E.BadMessage, 'hello.protocols is required'],
    ['protocols empty', json({ type: 'hello', protocols: [] }), E.BadMessage, 'hello.protocols'],
    ['protocols not an array', json({ type: 'hello', protocols: 1 }), E.BadMessage, 'hello.protocols must be an array'],
    ['protocol zero', json({ type: 'hello', protocols: [0] }), E.BadMessage, 'hello.protocols[0] must be a positive safe integer, got 0'],
    ['protocol fraction', json({ type: 'hello', protocols: [1.5] }), E.BadMessage, 'got 1.5'],
    ['protocol string', json({ type: 'hello', protocols: ['1'] }), E.BadMessage, 'got "1"'],
    ['17 protocols', json({ type: 'hello', protocols: Array.from({ length: 17 }, (_, i) => i + 1) }), E.BadMessage, 'more than the limit of 16'],
    ['token empty', json({ type: 'hello', protocols: [1], token: '' }), E.BadMessage, 'hello.token'],
    ['token too long', json({ type: 'hello', protocols: [1], token: s(16 * 1024 + 1) }), E.BadMessage, 'at most 16384 characters'],
    ['devUser without id', json({ type: 'hello', protocols: [1], devUser: { name: 'x' } }), E.BadMessage, 'hello.devUser.id is required'],
    ['devUser extra field', json({ type: 'hello', protocols: [1], devUser: { id: 'x', admin: true } }), E.BadMessage, 'unknown field "admin"'],
    ['client version missing', json({ type: 'hello', protocols: [1], client: { name: 'x' } }), E.BadMessage, 'hello.client.version'],
    ['unknown field', json({ type: 'hello', protocols: [1], debug: true }), E.BadMessage, 'hello has unknown field "debug"'],
  ],
  join_session: [
    ['docId number', json(join, { docId: 42 }), E.BadMessage, 'join_session.docId must be a non-empty string of at most 256 characters, got 42'],
    ['docId empty', json(join, { docId: '' }), E.BadMessage, 'join_session.docId'],
    ['docId too long', json(join, { docId: s(257) }), E.BadMessage, 'at most 256'],
    ['docId missing', without(join, 'docId'), E.BadMessage, 'join_session.docId is required'],
    ['docId lone surrogate', json(join, { docId: 'a\ud800' }), E.BadMessage, 'unpaired'],
    ['mode unknown', json(join, { mode: 'crdt' }), E.BadMessage, 'join_session.mode must be one of "events", "ot"'],
    ['since negative', json(join, { since: -1 }), E.BadMessage, 'join_session.since must be a non-negative safe integer, got -1'],
    ['since unsafe', json(join, { since: 2 ** 53 }), E.BadMessage, 'join_session.since'],
    ['since string', json(join, { since: '5' }), E.BadMessage, 'got "5"'],
    ['since null', json(join, { since: null }), E.BadMessage, 'got null'],
    ['presence not object', json(join, { presence: [] }), E.BadMessage, 'join_session.presence must be an object'],
    ['presence unknown field', json(join, { presence: { mood: 'happy' } }), E.BadMessage, 'unknown field "mood"'],
    ['unknown field', json(join, { specId: 'x' }), E.BadMessage, 'unknown field "specId"'],
    ['snapshot not boolean', json(join, { snapshot: 'yes' }), E.BadMessage, 'join_session.snapshot must be true or false, got "yes"'],
    ['snapshot in mode ot', json(join, { mode: 'ot', snapshot: true }), E.BadMessage, 'join_session.snapshot is for mode "events"'],
    ['snapshot on a resume', json(join, { since: 5, snapshot: true }), E.BadMessage, 'join_session.snapshot is for a first join, not a resume (since 5)'],
  ],
  leave_session: [
    ['docId missing', json({ type: 'leave_session' }), E.BadMessage, 'leave_session.docId is required'],
    ['docId object', json({ type: 'leave_session', docId: {} }), E.BadMessage, 'got an object'],
  ],
  operation: [
    ['neither events nor operations', json({ type: 'operation', docId: 'd', operationId: 'o', version: 1 }), E.BadMessage, 'either events'],
    ['events and operations', json(evOp, { version: 1, operations: [] }), E.BadMessage, 'must not have version, operations'],
    ['operationId missing', without(ot, 'operationId'), E.BadMessage, 'operation.operationId is required'],
    ['operationId too long', json(ot, { operationId: s(129) }), E.BadMessage, 'at most 128'],
    ['version missing (ot)', without(ot, 'version'), E.BadMessage, 'operation.version is required'],
    ['version negative', json(ot, { version: -3 }), E.BadMessage, 'got -3'],
    ['text empty', json(ot, { text: '' }), E.BadMessage, 'operation.text'],
    ['text too long', json(ot, { text: s(257) }), E.BadMessage, 'operation.text'],
    ['operations not array', json(ot, { operations: 'retain 5' }), E.InvalidOperation, 'operation.operations'],
    ['component bad type', json(ot, { operations: [{ type: 'replace', length: 1 }] }), E.InvalidOperation, 'unknown type'],
    ['retain zero', json(ot, { operations: [{ type: 'retain', length: 0 }] }), E.InvalidOperation, 'positive integer'],
    ['insert empty', json(ot, { operations: [{ type: 'insert', content: '' }] }), E.InvalidOperation, 'non-empty'],
    ['component extra field', json(ot, { operations: [{ type: 'insert', content: 'x', position: 4 }] }), E.InvalidOperation, 'unexpected field'],
    ['too many components', json(ot, { operations: Array.from({ length: 10_001 }, (_, i) => (i % 2 ? { type: 'retain', length: 1 } : { type: 'delete', length: 1 })) }), E.LimitExceeded, 'more than the limit of 10000'],
    ['events not array', json(evOp, { events: {} }), E.BadMessage, 'operation.events must be an array'],
    ['event malformed', json(evOp, { events: [{ id: { agent: 'a', seq: -1 }, parents: [], change: EXAMPLE_EVENTS[0]?.change }] }), E.InvalidOperation, 'operation.events[0]'],
    ['event extra field', json(evOp, { events: [{ ...EXAMPLE_EVENTS[0], time: 5 }] }), E.InvalidOperation, 'unexpected field'],
    ['event id twice', json(evOp, { events: [EXAMPLE_EVENTS[0], EXAMPLE_EVENTS[0]] }), E.InvalidOperation, 'appears twice'],
    ['too many events', json(evOp, { events: Array.from({ length: 1001 }, (_, i) => ({ ...EXAMPLE_EVENTS[0], id: { agent: 'a', seq: i } })) }), E.LimitExceeded, 'more than the limit of 1000'],
  ],
  cursor_update: [
    ['cursor missing', json({ type: 'cursor_update', docId: 'd', version: 1 }), E.BadMessage, 'cursor_update.cursor is required'],
    ['anchor negative', json({ type: 'cursor_update', docId: 'd', version: 1, cursor: { anchor: -1, head: 0 } }), E.BadMessage, 'cursor_update.cursor.anchor'],
    ['head fraction', json({ type: 'cursor_update', docId: 'd', version: 1, cursor: { anchor: 0, head: 0.5 } }), E.BadMessage, 'cursor_update.cursor.head'],
    ['head missing', json({ type: 'cursor_update', docId: 'd', version: 1, cursor: { anchor: 0 } }), E.BadMessage, 'cursor_update.cursor.head is required'],
    ['seed-style line/column cursor', json({ type: 'cursor_update', docId: 'd', version: 1, cursor: { line: 1, column: 2 } }), E.BadMessage, 'unknown field "line"'],
    ['version missing', json({ type: 'cursor_update', docId: 'd', cursor: null }), E.BadMessage, 'cursor_update.version is required'],
  ],
  presence_update: [
    ['scope unknown', json({ type: 'presence_update', scope: 'team', id: 'x', state: {} }), E.BadMessage, 'presence_update.scope'],
    ['state missing', json({ type: 'presence_update', scope: 'doc', id: 'x' }), E.BadMessage, 'presence_update.state is required'],
    ['status unknown', presence({ status: 'busy' }), E.BadMessage, 'presence_update.state.status'],
    ['typing not boolean', presence({ typing: 1 }), E.BadMessage, 'true or false'],
    ['activity too long', presence({ activity: s(257) }), E.BadMessage, 'at most 256'],
    ['name empty', presence({ name: '' }), E.BadMessage, 'presence_update.state.name'],
    ['custom not object', presence({ custom: 'x' }), E.BadMessage, 'presence_update.state.custom must be an object'],
    ['custom 33 keys', presence({ custom: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) }), E.LimitExceeded, 'more than the limit of 32'],
    ['custom over 4 KiB', presence({ custom: { k: s(MAX_CUSTOM_BYTES) } }), E.LimitExceeded, 'larger than 4096 bytes'],
    ['custom over 4 KiB in multi-byte characters', presence({ custom: { k: s(1400, 'é') + s(1400, '€') } }), E.LimitExceeded, 'larger than 4096'],
    ['custom constructor key', presence({ custom: { constructor: 1 } }), E.BadMessage, 'reserved'],
    ['custom too deep', presence({ custom: { k: JSON.parse('['.repeat(40) + ']'.repeat(40)) as unknown } }), E.BadMessage, 'nested deeper'],
    ['invisible string', presence({ invisible: 'yes' }), E.BadMessage, 'presence_update.state.invisible'],
  ],
  request_sync: [
    ['since missing', json({ type: 'request_sync', docId: 'd' }), E.BadMessage, 'request_sync.since is required'],
    ['seed-style lastKnownVersion', json({ type: 'request_sync', docId: 'd', lastKnownVersion: 4 }), E.BadMessage, 'unknown field'],
    ['since float', json({ type: 'request_sync', docId: 'd', since: 1.25 }), E.BadMessage, 'got 1.25'],
  ],
  join_room: [
    ['room too long', json({ type: 'join_room', room: s(257) }), E.BadMessage, 'join_room.room'],
    ['room missing', json({ type: 'join_room' }), E.BadMessage, 'join_room.room is required'],
  ],
  leave_room: [['room number', json({ type: 'leave_room', room: 7 }), E.BadMessage, 'leave_room.room must be a non-empty string of at most 256 characters, got 7']],
  room_broadcast: [
    ['event missing', json({ type: 'room_broadcast', room: 'r' }), E.BadMessage, 'room_broadcast.event is required'],
    ['event too long', json({ type: 'room_broadcast', room: 'r', event: s(129) }), E.BadMessage, 'at most 128'],
    ['data too big', json({ type: 'room_broadcast', room: 'r', event: 'e', data: s(MAX_DATA_BYTES) }), E.LimitExceeded, 'larger than 65536'],
  ],
  signal: [
    ['data missing', json({ type: 'signal', docId: 'd', to: 'c' }), E.BadMessage, 'signal.data is required'],
    ['to missing', json({ type: 'signal', docId: 'd', data: 1 }), E.BadMessage, 'signal.to is required'],
    ['data over 64 KiB', json({ type: 'signal', docId: 'd', to: 'c', data: [s(40_000), s(40_000)] }), E.LimitExceeded, 'larger than 65536'],
    ['data with escapes over 64 KiB', json({ type: 'signal', docId: 'd', to: 'c', data: s(40_000, '\n') }), E.LimitExceeded, 'larger than 65536'],
  ],
  ping: [
    ['t missing', json({ type: 'ping' }), E.BadMessage, 'ping.t is required'],
    ['t infinite', '{"type":"ping","t":1e999}', E.BadMessage, 'ping.t must be a finite number, got Infinity'],
    ['t string', json({ type: 'ping', t: 'NaN' }), E.BadMessage, 'got "NaN"'],
  ],
};

describe('parseClientMessage: invalid messages', () => {
  it('covers every client message type', () => {
    assert.deepStrictEqual(Object.keys(CASES).sort(), [...CLIENT_MESSAGE_TYPES].sort());
  });
  for (const [type, cases] of Object.entries(CASES)) {
    it(`${type}: each invalid class fails with its code`, () => {
      for (const [label, frame, code, text] of cases) expectCode(() => parseClientMessage(frame), code, text, `${type}: ${label}`);
    });
  }

  it('refuses a missing required field and an unknown extra field in every example', () => {
    for (const m of CLIENT_EXAMPLES) {
      const text = JSON.stringify(m);
      for (const key of Object.keys(m)) {
        if (key === 'type') continue;
        const dropped = without(m, key);
        try {
          parseClientMessage(dropped); // optional fields may go
        } catch (e) {
          expectCode(() => { throw e; }, E.BadMessage, undefined, `${text} without ${key}`);
        }
      }
      expectCode(() => parseClientMessage(json(m, { zzz: 1 })), E.BadMessage, 'unknown field "zzz"', text);
    }
  });

  it('applies caller limits', () => {
    const two = json(evOp, { events: EXAMPLE_EVENTS.slice(0, 2) });
    expectCode(() => parseClientMessage(two, { maxEventsPerMessage: 1 }), E.LimitExceeded, 'more than the limit of 1');
    expectCode(() => parseClientMessage(json(ot, { operations: [{ type: 'retain', length: 1 }, { type: 'insert', content: 'x' }] }), { maxOpComponents: 1 }), E.LimitExceeded);
    // An event's op obeys the same component limit.
    expectCode(() => parseClientMessage(json(evOp, { events: [EXAMPLE_EVENTS[1]] }), { maxOpComponents: 1 }), E.LimitExceeded, 'operation.events[0]');
    expectCode(() => parseClientMessage(json(join), { maxMessageBytes: 10 }), E.MessageTooBig);
    assert.throws(() => parseClientMessage(json(join), { maxMessageBytes: 0 }), TypeError);
    assert.throws(() => parseClientMessage(json(join), { maxEventsPerMessage: 1.5 }), TypeError);
  });

  it('accepts an event naming one parent per concurrent writer up to the core default, maxParents configurable', () => {
    // Regression: the wire once capped parents at 64 while core allowed more, so a replica that had
    // merged 72 concurrent writers made events the server refused (bench: 1 doc × 100 clients).
    const merged = (writers: number): unknown => {
      const all = [];
      for (let w = 0; w < writers; w++) {
        const d = new Doc({ agent: agentId(`w${w}`) });
        all.push(d.insert('body', 0, 'x')!);
      }
      const replica = new Doc({ agent: agentId('merger') });
      replica.receive(all);
      const e = replica.insert('body', 0, 'y')!;
      assert.equal(e.parents.length, writers);
      return eventToJSON(e);
    };
    const op = (e: unknown): string => json(evOp, { events: [e] });
    const eventCount = (text: string): number => {
      const m = parseClientMessage(text);
      return m.type === 'operation' && 'events' in m ? m.events.length : -1;
    };
    const with100 = op(merged(100));
    assert.equal(eventCount(with100), 1);
    expectCode(() => parseClientMessage(with100, { maxParents: 99 }), E.InvalidOperation, 'operation.events[0]: event.parents has 100 parents, more than the limit of 99');
    assert.equal(DEFAULT_MAX_PARENTS, 4096);
    const atDefault = op(merged(DEFAULT_MAX_PARENTS));
    // The core accepts what the wire accepts by default, and the reverse.
    assert.equal(eventCount(atDefault), 1);
    checkEvent(JSON.parse(atDefault).events[0]);
    const over = op(merged(DEFAULT_MAX_PARENTS + 1));
    expectCode(() => parseClientMessage(over), E.InvalidOperation, `more than the limit of ${DEFAULT_MAX_PARENTS}`);
    assert.throws(() => checkEvent(JSON.parse(over).events[0]), /more than the limit of 4096/);
    assert.throws(() => parseClientMessage(with100, { maxParents: 0 }), TypeError);
  });

  it('tags errors with the operationId (else the type) and the docId they answer', () => {
    const e1 = expectCode(() => parseClientMessage(json(ot, { version: -1 })), E.BadMessage);
    assert.equal(e1.ref, 'op');
    assert.equal(e1.docId, 'd1');
    const e2 = expectCode(() => parseClientMessage(json(join, { since: -1 })), E.BadMessage);
    assert.equal(e2.ref, 'join_session');
    assert.equal(e2.docId, 'd1');
    const e3 = expectCode(() => parseClientMessage(json(join, { docId: s(300) })), E.BadMessage);
    assert.equal(e3.docId, undefined, 'an invalid docId is not echoed');
    const e4 = expectCode(() => parseClientMessage(json({ type: 'subscribe' })), E.UnknownType, 'unknown message type "subscribe"');
    assert.equal(e4.ref, 'subscribe');
    const e5 = expectCode(() => parseClientMessage(json({ type: s(65) })), E.UnknownType);
    assert.equal(e5.ref, undefined, 'a long type is not echoed');
  });
});
