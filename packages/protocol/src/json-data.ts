/**
 * Validation and copying of app-defined JSON payloads (signal and room broadcast `data`, presence
 * `custom`, snapshot maps): any JSON value, bounded in depth and in size, copied so that keys taken
 * from the input (even "__proto__") are stored as plain own data and never reach a prototype.
 */
import type { JsonValue } from '@tandem/core';
import { describe, fail, isPlainArray, isPlainObject, isWellFormed, ownValue } from './fields.js';
import { MAX_DATA_DEPTH } from './limits.js';
import { ErrorCode } from './messages.js';
import { utf8Length } from './utf8.js';

/**
 * Adds `key` to `obj` as an own data property. Defining rather than assigning matters for
 * "__proto__": assignment would run the inherited setter and swap the object's prototype, while
 * definition just stores data. Results stay ordinary objects so they compare equal to JSON.parse output.
 */
export function defineField<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A path extended by an input-chosen key, quoted so odd keys cannot make the message misleading. */
export function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]{0,39}$/.test(key) ? `${path}.${key}` : `${path}[${describe(key)}]`;
}

/** How big a payload may be, and which code a payload over the byte budget fails with. */
export interface DataBounds {
  /** Most UTF-8 bytes of the value's JSON text. */
  readonly maxBytes: number;
  /** Most nesting levels (the value itself is level 1). Default MAX_DATA_DEPTH. */
  readonly maxDepth?: number;
  /** Default LIMIT_EXCEEDED. */
  readonly limitCode?: ErrorCode;
}

interface Walk {
  /** Lower bound of UTF-8 bytes still allowed; the exact size is checked once the copy exists. */
  left: number;
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly limitCode: ErrorCode;
  readonly topPath: string;
}

function startWalk(path: string, bounds: DataBounds): Walk {
  return {
    left: bounds.maxBytes,
    maxBytes: bounds.maxBytes,
    maxDepth: bounds.maxDepth ?? MAX_DATA_DEPTH,
    limitCode: bounds.limitCode ?? ErrorCode.LimitExceeded,
    topPath: path,
  };
}

function tooBig(w: Walk): never {
  return fail(w.limitCode, `${w.topPath} is larger than ${w.maxBytes} bytes of JSON`);
}

function spend(w: Walk, n: number): void {
  w.left -= n;
  if (w.left < 0) tooBig(w);
}

function checkString(s: string, path: string, w: Walk): string {
  // A string's JSON text takes at least its length plus two quotes, so huge strings stop here.
  spend(w, s.length + 2);
  if (!isWellFormed(s)) fail(ErrorCode.BadMessage, `${path} must not contain unpaired UTF-16 surrogates`);
  return s;
}

function walk(v: unknown, path: string, depth: number, w: Walk): JsonValue {
  if (typeof v === 'string') return checkString(v, path, w);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(ErrorCode.BadMessage, `${path} must be a finite number, got ${describe(v)}`);
    spend(w, 1);
    return v === 0 ? 0 : v;
  }
  if (typeof v === 'boolean' || v === null) {
    spend(w, 4);
    return v;
  }
  if (depth >= w.maxDepth) fail(ErrorCode.BadMessage, `${path} is nested deeper than ${w.maxDepth} levels`);
  if (isPlainArray(v)) {
    spend(w, 1 + v.length); // brackets and commas: a lower bound of their true cost
    const out: JsonValue[] = [];
    for (let i = 0; i < v.length; i++) out.push(walk(ownValue(v, String(i), path), `${path}[${i}]`, depth + 1, w));
    return out;
  }
  if (!isPlainObject(v)) return fail(ErrorCode.BadMessage, `${path} must be a JSON value, got ${describe(v)}`);
  return walkObject(v, path, depth, w);
}

function walkObject(v: Record<string, unknown>, path: string, depth: number, w: Walk): Record<string, JsonValue> {
  spend(w, 2);
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(v)) {
    const p = keyPath(path, key);
    checkString(key, p, w);
    spend(w, 1); // the colon
    defineField(out, key, walk(ownValue(v, key, path), p, depth + 1, w));
  }
  return out;
}

/**
 * Validates an untrusted JSON value and returns a deep copy: finite numbers only (-0 becomes 0),
 * well-formed strings, plain arrays and objects, at most `maxDepth` levels, and at most
 * `maxBytes` of UTF-8 once serialised (too big → `limitCode`).
 * @throws ProtocolError naming the path of the offending part.
 */
export function checkJsonData(value: unknown, path: string, bounds: DataBounds): JsonValue {
  const w = startWalk(path, bounds);
  const copy = walk(value, path, 0, w);
  checkExactSize(copy, w);
  return copy;
}

/** Like checkJsonData, for a value that must be a JSON object (the result's keys are the input's). */
export function checkJsonObject(value: unknown, path: string, bounds: DataBounds): Record<string, JsonValue> {
  if (!isPlainObject(value)) return fail(ErrorCode.BadMessage, `${path} must be an object, got ${describe(value)}`);
  const w = startWalk(path, bounds);
  const copy = walkObject(value, path, 0, w);
  checkExactSize(copy, w);
  return copy;
}

/** The walk only bounded the size from below (escapes and multi-byte characters cost more). */
function checkExactSize(copy: JsonValue, w: Walk): void {
  if (utf8Length(JSON.stringify(copy)) > w.maxBytes) tooBig(w);
}
