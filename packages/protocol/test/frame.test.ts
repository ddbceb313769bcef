/**
 * The steps before any type-specific check: size (measured in UTF-8 bytes, checked before
 * decoding or parsing), UTF-8, JSON, the top-level shape and the `type` dispatch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MAX_MESSAGE_BYTES, ErrorCode, fitsUtf8, parseClientMessage, parseServerMessage, utf8Length } from '../src/index.js';
import { expectCode } from './support/expect.js';
import { withSeed } from './support/random.js';

const E = ErrorCode;

/** A valid ping padded with spaces to exactly `bytes` UTF-8 bytes. */
function pingOf(bytes: number): string {
  const core = '{"type":"ping","t":1}';
  return core.slice(0, -1) + ' '.repeat(bytes - core.length) + '}';
}

describe('frame size', () => {
  it('accepts exactly maxMessageBytes and refuses one byte more, for strings and bytes', () => {
    const max = 200;
    assert.equal(parseClientMessage(pingOf(max), { maxMessageBytes: max }).type, 'ping');
    expectCode(() => parseClientMessage(pingOf(max + 1), { maxMessageBytes: max }), E.MessageTooBig, 'limit of 200');
    assert.equal(parseClientMessage(Buffer.from(pingOf(max)), { maxMessageBytes: max }).type, 'ping');
    expectCode(() => parseClientMessage(new Uint8Array(Buffer.from(pingOf(max + 1))), { maxMessageBytes: max }), E.MessageTooBig, '201 bytes');
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 100 × "€" is 100 characters but 300 bytes.
    const text = JSON.stringify({ type: 'room_broadcast', room: 'r', event: 'e', data: '€'.repeat(100) });
    assert.doesNotThrow(() => parseClientMessage(text, { maxMessageBytes: Buffer.byteLength(text) }));
    expectCode(() => parseClientMessage(text, { maxMessageBytes: Buffer.byteLength(text) - 1 }), E.MessageTooBig);
  });

  it('checks the size before parsing: an oversized frame of garbage is MESSAGE_TOO_BIG', () => {
    expectCode(() => parseClientMessage('x'.repeat(DEFAULT_MAX_MESSAGE_BYTES + 1)), E.MessageTooBig);
    expectCode(() => parseClientMessage(new Uint8Array(DEFAULT_MAX_MESSAGE_BYTES + 1).fill(0xff)), E.MessageTooBig);
  });

  it('utf8Length and fitsUtf8 agree with Buffer on random strings, including lone surrogates', () => {
    withSeed('utf8 length', (rng) => {
      const units = [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xffff, 0xd83d, 0xde00, 0xdc00, 0xd800, 0xe9];
      for (let round = 0; round < 2000; round++) {
        let s = '';
        const n = rng.int(12);
        for (let i = 0; i < n; i++) s += String.fromCharCode(rng.pick(units));
        const bytes = Buffer.byteLength(s, 'utf8');
        assert.equal(utf8Length(s), bytes, JSON.stringify(s));
        const max = rng.int(40);
        assert.equal(fitsUtf8(s, max), bytes <= max, `${JSON.stringify(s)} within ${max}`);
      }
    });
  });
});

describe('frame decoding and shape', () => {
  it('refuses invalid UTF-8 bytes', () => {
    expectCode(() => parseClientMessage(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])), E.BadMessage, 'not valid UTF-8');
  });

  it('refuses text that is not JSON', () => {
    for (const text of ['', '{', '{"type":"ping",}', "{'type':'ping'}", 'NaN', '{"type":"ping","t":NaN}', '\u0000', '{"type":"ping","t":1}x']) {
      expectCode(() => parseClientMessage(text), E.BadMessage, 'not valid JSON', JSON.stringify(text));
    }
  });

  it('refuses JSON that is not an object with a string type', () => {
    for (const text of ['null', '1', '"ping"', '[]', '[{"type":"ping","t":1}]', 'true']) {
      expectCode(() => parseClientMessage(text), E.BadMessage, 'must be a JSON object', text);
    }
    expectCode(() => parseClientMessage('{}'), E.BadMessage, 'message.type must be a string, got nothing');
    expectCode(() => parseClientMessage('{"type":7}'), E.BadMessage, 'message.type must be a string, got 7');
    expectCode(() => parseClientMessage('{"type":null}'), E.BadMessage, 'got null');
  });

  it('answers UNKNOWN_TYPE for types of the other direction, prototype names and near misses', () => {
    for (const type of ['welcome', 'error', 'session_joined', 'pong', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Ping', 'ping ', '', 'operation_ack']) {
      expectCode(() => parseClientMessage(JSON.stringify({ type })), E.UnknownType, 'unknown message type', type);
    }
    for (const type of ['hello', 'join_session', 'ping', 'operation', '__proto__', 'valueOf']) {
      expectCode(() => parseServerMessage(JSON.stringify({ type })), E.UnknownType, undefined, type);
    }
  });

  it('survives very deep nesting without a stack overflow', () => {
    const deep = '['.repeat(400_000) + ']'.repeat(400_000);
    expectCode(() => parseClientMessage(deep), E.BadMessage);
    expectCode(() => parseClientMessage(`{"type":"signal","docId":"d","to":"c","data":${'['.repeat(200_000)}${']'.repeat(200_000)}}`), E.BadMessage, 'nested deeper');
    expectCode(() => parseClientMessage(`{"type":"ping","t":1,"x":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`), E.BadMessage, 'unknown field');
  });
});
