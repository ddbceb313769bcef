/**
 * Assertion helpers for parser tests: "this input fails with that wire code".
 */
import assert from 'node:assert/strict';
import { ProtocolError, type ErrorCode } from '../../src/index.js';

/** Asserts `run` throws a ProtocolError with `code` (and, if given, a message containing `text`). */
export function expectCode(run: () => unknown, code: ErrorCode, text?: string, label = ''): ProtocolError {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  const where = label === '' ? '' : ` (${label})`;
  if (!(caught instanceof ProtocolError)) {
    assert.fail(`expected ProtocolError ${code}${where}, got ${caught === undefined ? 'a successful parse' : String(caught)}`);
  }
  assert.equal(caught.code, code, `wrong code${where}: ${caught.message}`);
  if (text !== undefined) assert.ok(caught.message.includes(text), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(text)}${where}`);
  return caught;
}

/** JSON text of a message with `patch` merged over it (later keys win). */
export function json(base: object, patch: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...base, ...patch });
}

/** JSON text of `base` without `key`. */
export function without(base: object, key: string): string {
  const copy: Record<string, unknown> = { ...base };
  delete copy[key];
  return JSON.stringify(copy);
}
