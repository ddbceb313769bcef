/**
 * The protocol's bridge to the sync core's validators: events go through core `checkEvent` and
 * plain OT operations through core `checkOp`, so the wire accepts exactly what the core accepts.
 * Core errors (TandemError) become ProtocolErrors with wire codes here.
 */
import { checkEvent, checkOp, CoreErrorCode, isTandemError, type Event, type TextOp } from '@tandem/core';
import { describe, fail, isPlainArray, mustBe, ownValue } from './fields.js';
import { ErrorCode } from './messages.js';

/** Runs a core validator, translating its errors: a blown limit is LIMIT_EXCEEDED, anything else INVALID_OPERATION. */
function viaCore<T>(path: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (!isTandemError(e)) throw e;
    const code = e.code === CoreErrorCode.LimitExceeded ? ErrorCode.LimitExceeded : ErrorCode.InvalidOperation;
    return fail(code, `${path}: ${e.message}`);
  }
}

/** A text operation (retain / insert / delete components), normalised by core `checkOp`. */
export function checkOperations(v: unknown, path: string, maxComponents: number): TextOp {
  if (!isPlainArray(v)) return mustBe(path, 'an array of operation components', v, ErrorCode.InvalidOperation);
  return viaCore(path, () => checkOp(v, { maxComponents }));
}

/**
 * A list of at most `maxEvents` events, each validated by core `checkEvent`, no id twice: a batch
 * naming one event twice is a client bug the server should report rather than guess about.
 */
export function checkEventList(v: unknown, path: string, maxEvents: number, limits: { readonly maxOpComponents: number; readonly maxParents: number }): Event[] {
  if (!isPlainArray(v)) return mustBe(path, 'an array of events', v);
  if (v.length > maxEvents) fail(ErrorCode.LimitExceeded, `${path} has ${v.length} events, more than the limit of ${maxEvents}`);
  const seen = new Set<string>();
  const out: Event[] = [];
  for (let i = 0; i < v.length; i++) {
    const p = `${path}[${i}]`;
    const item = ownValue(v, String(i), path);
    const e = viaCore(p, () => checkEvent(item, { maxOpComponents: limits.maxOpComponents, maxParents: limits.maxParents }));
    // The seq leads so the key is unambiguous whatever characters the agent id holds.
    const key = `${e.id.seq}:${e.id.agent}`;
    if (seen.has(key)) fail(ErrorCode.InvalidOperation, `${p}.id ${describe(e.id.agent)}:${e.id.seq} appears twice in the message`);
    seen.add(key);
    out.push(e);
  }
  return out;
}
