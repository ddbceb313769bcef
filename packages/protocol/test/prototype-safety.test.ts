/**
 * Input-chosen keys never reach a prototype: "__proto__" and friends are fine as ids, stored as
 * plain own data inside payloads, refused as presence `custom` field names, and a polluted
 * Object.prototype cannot supply a field a message lacks.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ErrorCode, parseClientMessage, parseServerMessage } from '../src/index.js';
import { expectCode } from './support/expect.js';

const NAMES = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', '__defineGetter__', 'valueOf'];
const before = Object.getOwnPropertyNames(Object.prototype).sort();

function assertPrototypeUntouched(): void {
  assert.deepStrictEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
  const probe: Record<string, unknown> = {};
  assert.equal(probe['polluted'], undefined);
  assert.equal(Object.getPrototypeOf(probe), Object.prototype);
}

function ownKeys(v: unknown): string[] {
  return Object.keys(v as object);
}

describe('prototype safety', () => {
  after(assertPrototypeUntouched);

  it('accepts prototype names as document ids, rooms, ids and names', () => {
    for (const name of NAMES) {
      const frames = [
        { type: 'join_session', docId: name },
        { type: 'leave_session', docId: name },
        { type: 'request_sync', docId: name, since: 0 },
        { type: 'join_room', room: name },
        { type: 'presence_update', scope: 'room', id: name, state: { name } },
        { type: 'room_broadcast', room: name, event: name },
        { type: 'signal', docId: name, to: name, data: name },
        { type: 'operation', docId: name, operationId: name, version: 0, text: name, operations: [{ type: 'insert', content: name }] },
        { type: 'hello', protocols: [1], devUser: { id: name, name } },
      ];
      for (const f of frames) {
        const m = parseClientMessage(JSON.stringify(f));
        assert.deepStrictEqual(m, f);
        assert.equal(Object.getPrototypeOf(m), Object.prototype);
      }
    }
    assertPrototypeUntouched();
  });

  it('keeps "__proto__" keys inside data as own data', () => {
    const text = '{"type":"signal","docId":"d","to":"c","data":{"__proto__":{"polluted":true},"list":[{"__proto__":1}]}}';
    const m = parseClientMessage(text);
    assert.ok(m.type === 'signal');
    const data = m.data as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(data), Object.prototype, 'the prototype was not swapped');
    assert.deepStrictEqual(ownKeys(data), ['__proto__', 'list']);
    assert.equal(Object.getOwnPropertyDescriptor(data, '__proto__')?.value !== undefined, true);
    assert.equal((data as { polluted?: unknown }).polluted, undefined, 'nothing inherited from the payload');
    assert.equal(JSON.stringify(m), text, 'round-trips byte for byte');
    assertPrototypeUntouched();
  });

  it('refuses reserved names as presence custom fields, at any position', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const text = `{"type":"join_room","room":"r","presence":{"custom":{"ok":1,${JSON.stringify(key)}:{"polluted":true}}}}`;
      expectCode(() => parseClientMessage(text), ErrorCode.BadMessage, 'reserved field name', key);
    }
    // Nested below the top level they are only data.
    const m = parseClientMessage('{"type":"join_room","room":"r","presence":{"custom":{"a":{"__proto__":{"polluted":true}}}}}');
    assert.ok(m.type === 'join_room');
    const a = m.presence?.custom?.['a'] as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(a), Object.prototype);
    assert.deepStrictEqual(ownKeys(a), ['__proto__']);
    assertPrototypeUntouched();
  });

  it('stores map keys and text names from a server as own data', () => {
    const text =
      '{"type":"session_joined","docId":"__proto__","version":1,"level":"owner",' +
      '"content":{"__proto__":"body text","constructor":"c"},"maps":{"__proto__":{"__proto__":{"polluted":true}}},"activeUsers":[]}';
    const m = parseServerMessage(text);
    assert.ok(m.type === 'session_joined');
    assert.deepStrictEqual(ownKeys(m.content), ['__proto__', 'constructor']);
    assert.equal(Object.getPrototypeOf(m.content), Object.prototype);
    const map = m.maps?.['__proto__'] as Record<string, unknown>;
    assert.deepStrictEqual(ownKeys(map), ['__proto__']);
    assert.equal(Object.getPrototypeOf(map), Object.prototype);
    assert.deepStrictEqual(m, JSON.parse(text));
    assertPrototypeUntouched();
  });

  it('accepts "__proto__" as a map key inside events (checked by the core)', () => {
    const ev = '{"id":{"agent":"a","seq":0},"parents":[],"change":{"type":"map_set","name":"m","key":"__proto__","value":{"__proto__":{"polluted":true}}}}';
    const m = parseClientMessage(`{"type":"operation","docId":"constructor","operationId":"o","events":[${ev}]}`);
    assert.ok(m.type === 'operation' && 'events' in m);
    assert.equal(m.events[0]?.change.type === 'map_set' && m.events[0].change.key, '__proto__');
    assertPrototypeUntouched();
  });

  it('never takes a missing field from a polluted Object.prototype', () => {
    const fields = ['docId', 'protocols', 'since', 'room', 'cursor', 'operations', 'version', 'data', 't'];
    for (const f of fields) Object.defineProperty(Object.prototype, f, { value: f === 'protocols' ? [1] : 'x', configurable: true, writable: true });
    try {
      expectCode(() => parseClientMessage('{"type":"join_session"}'), ErrorCode.BadMessage, 'join_session.docId is required');
      expectCode(() => parseClientMessage('{"type":"hello"}'), ErrorCode.BadMessage, 'hello.protocols is required');
      expectCode(() => parseClientMessage('{"type":"ping"}'), ErrorCode.BadMessage, 'ping.t is required');
      expectCode(() => parseClientMessage('{"type":"signal","docId":"d","to":"c"}'), ErrorCode.BadMessage, 'signal.data is required');
      // An unpolluted optional field stays absent in the result rather than appearing as inherited.
      const m = parseClientMessage('{"type":"join_session","docId":"d"}');
      assert.deepStrictEqual(Object.keys(m), ['type', 'docId']);
    } finally {
      for (const f of fields) delete (Object.prototype as Record<string, unknown>)[f];
    }
    assertPrototypeUntouched();
  });
});
