/**
 * Version negotiation, close codes and the error → `error` message helper.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CloseCode,
  CURRENT_PROTOCOL_VERSION,
  ErrorCode,
  negotiateProtocol,
  parseServerMessage,
  PROTOCOL_VERSIONS,
  ProtocolError,
  shouldReconnect,
  toErrorMessage,
} from '../src/index.js';

describe('negotiateProtocol', () => {
  it('picks the highest version both sides speak', () => {
    assert.equal(negotiateProtocol([1]), 1);
    assert.equal(negotiateProtocol([3, 2, 1]), 2);
    assert.equal(negotiateProtocol([1, 99]), 1);
    assert.equal(negotiateProtocol([2]), 2);
    assert.equal(CURRENT_PROTOCOL_VERSION, Math.max(...PROTOCOL_VERSIONS));
  });

  it('returns undefined when nothing is in common', () => {
    assert.equal(negotiateProtocol([]), undefined);
    assert.equal(negotiateProtocol([0, 3, 4]), undefined);
    assert.equal(negotiateProtocol([1.5, -1, Number.NaN]), undefined);
  });
});

describe('close codes', () => {
  it('uses the RFC 6455 codes the issue names and app codes in 4000–4999', () => {
    assert.equal(CloseCode.Normal, 1000);
    assert.equal(CloseCode.GoingAway, 1001);
    assert.equal(CloseCode.PolicyViolation, 1008);
    assert.equal(CloseCode.MessageTooBig, 1009);
    assert.equal(CloseCode.InternalError, 1011);
    assert.equal(CloseCode.TryAgainLater, 1013);
    const values = Object.values(CloseCode);
    assert.equal(new Set(values).size, values.length, 'codes are distinct');
    for (const v of values) assert.ok((v >= 1000 && v <= 1015) || (v >= 4000 && v <= 4999), `${v} in a sendable range`);
    // 1005, 1006 and 1015 must never be sent in a close frame.
    for (const reserved of [1005, 1006, 1015]) assert.ok(!(values as number[]).includes(reserved));
  });

  it('says which closes deserve an automatic reconnect', () => {
    assert.equal(shouldReconnect(CloseCode.GoingAway), true);
    assert.equal(shouldReconnect(CloseCode.SlowConsumer), true);
    assert.equal(shouldReconnect(1006), true);
    assert.equal(shouldReconnect(CloseCode.Normal), false);
    assert.equal(shouldReconnect(CloseCode.PolicyViolation), false);
    assert.equal(shouldReconnect(CloseCode.Unauthenticated), false);
  });
});

describe('toErrorMessage', () => {
  it('builds a valid server error message from a ProtocolError', () => {
    const e = new ProtocolError(ErrorCode.BadMessage, 'join_session.since must be a non-negative safe integer, got -1', { ref: 'join_session', docId: 'd' });
    const m = toErrorMessage(e);
    assert.deepStrictEqual(m, { type: 'error', code: 'BAD_MESSAGE', message: e.message, docId: 'd', ref: 'join_session' });
    assert.deepStrictEqual(parseServerMessage(JSON.stringify(m)), m);
    assert.deepStrictEqual(toErrorMessage(new ProtocolError(ErrorCode.Internal, 'x')), { type: 'error', code: 'INTERNAL', message: 'x' });
  });
});
