/**
 * Validation and copying of untrusted JSON values (shared-map values) and the small helpers the
 * event checkers share: safe descriptions of hostile values for messages, plain-object and
 * well-formed-string tests, and own-data-property reads that never run getters.
 */
import { CoreErrorCode, TandemError } from '../errors.js';
import type { JsonValue } from '../event.js';

/** Deepest accepted nesting of arrays/objects in a map value (the top-level container is depth 1). */
export const MAX_JSON_DEPTH = 64;
/** Default cap on a map value's size, measured as the length of its JSON.stringify text. */
export const DEFAULT_MAX_VALUE_BYTES = 64 * 1024;

export function invalidEvent(message: string): TandemError {
  return new TandemError(CoreErrorCode.InvalidEvent, message);
}

/** A short rendering of an untrusted value for messages; never throws, never prints megabytes. */
export function describe(v: unknown): string {
  let s: string;
  // Strings are cut before quoting so a hostile megabyte string is never copied whole.
  if (typeof v === 'string') s = JSON.stringify(v.length > 60 ? v.slice(0, 60) : v);
  else if (typeof v === 'bigint') s = `${v}n`;
  else if (typeof v === 'symbol' || typeof v === 'function') s = typeof v;
  else if (v === null || typeof v !== 'object') s = String(v);
  else if (Array.isArray(v)) s = `array of length ${v.length}`;
  else s = 'object';
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** `path` extended by an object key, quoting keys that are not plain identifiers. */
export function keyPath(path: string, key: string): string {
  return key.length <= 40 && /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${describe(key)}]`;
}

/**
 * True for objects made by object literals, JSON.parse or Object.create(null). Class instances,
 * arrays and exotic objects are refused so no inherited behaviour sneaks into validated data.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** True when `s` has no unpaired surrogate, so it survives a round trip through UTF-8. */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return false;
    const next = s.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/**
 * The own data property `key` of `obj`, or undefined when absent. Accessors are refused: reading
 * them would run caller-supplied code in the middle of validation.
 */
export function ownField(obj: object, key: string, path: string): unknown {
  const d = Object.getOwnPropertyDescriptor(obj, key);
  if (d === undefined) return undefined;
  if (!('value' in d)) throw invalidEvent(`${keyPath(path, key)} is an accessor property, expected plain data`);
  return d.value;
}

/**
 * Adds `key` to a result object as an own data property. Defining rather than assigning matters
 * for keys like "__proto__": assignment would invoke the inherited setter and change the object's
 * prototype, while definition stores plain data and leaves Object.prototype untouched. Results stay
 * ordinary objects (not null-prototype ones) so they compare equal to what JSON.parse produces.
 */
export function defineField(obj: Record<string, JsonValue>, key: string, value: JsonValue): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Remaining size budget while walking a value: aborting early bounds work on hostile input. */
interface Budget {
  left: number;
  readonly max: number;
}

function tooLarge(budget: Budget, path: string): TandemError {
  return invalidEvent(`${path}: value is larger than ${budget.max} bytes of JSON`);
}

function spend(budget: Budget, n: number, path: string): void {
  budget.left -= n;
  if (budget.left < 0) throw tooLarge(budget, path);
}

/**
 * Length of the JSON text of `s`. The text is at least the length plus quotes, so a huge string is
 * refused before its escaped copy is built.
 */
function stringCost(budget: Budget, s: string, path: string): number {
  if (s.length + 2 > budget.left) throw tooLarge(budget, path);
  return JSON.stringify(s).length;
}

/**
 * Validates an untrusted JSON value and returns a deep copy. Rejects non-JSON types, non-finite
 * numbers, sparse arrays, non-plain objects, nesting deeper than MAX_JSON_DEPTH and values whose
 * JSON text would exceed `maxBytes`. Normalizes -0 to 0, as a JSON round trip would.
 * @throws TandemError ERR_INVALID_EVENT naming the path of the offending part.
 */
export function checkJsonValue(value: unknown, path: string, maxBytes: number = DEFAULT_MAX_VALUE_BYTES): JsonValue {
  return walk(value, path, 0, { left: maxBytes, max: maxBytes });
}

function walk(v: unknown, path: string, depth: number, budget: Budget): JsonValue {
  switch (typeof v) {
    case 'string':
      spend(budget, stringCost(budget, v, path), path);
      return v;
    case 'number':
      if (!Number.isFinite(v)) throw invalidEvent(`${path}: ${v} is not a JSON number`);
      spend(budget, String(v).length, path);
      return v === 0 ? 0 : v;
    case 'boolean':
      spend(budget, v ? 4 : 5, path);
      return v;
    case 'object':
      break;
    default:
      throw invalidEvent(`${path}: ${describe(v)} (${typeof v}) is not a JSON value`);
  }
  if (v === null) {
    spend(budget, 4, path);
    return null;
  }
  if (depth >= MAX_JSON_DEPTH) throw invalidEvent(`${path}: nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) throw invalidEvent(`${path}: array has a foreign prototype`);
    const arr: unknown[] = v;
    spend(budget, 2 + Math.max(0, arr.length - 1), path);
    const out: JsonValue[] = [];
    for (let i = 0; i < arr.length; i++) {
      const itemPath = `${path}[${i}]`;
      const d = Object.getOwnPropertyDescriptor(arr, i);
      if (d === undefined) throw invalidEvent(`${itemPath}: sparse arrays are not JSON`);
      if (!('value' in d)) throw invalidEvent(`${itemPath} is an accessor property, expected plain data`);
      out.push(walk(d.value, itemPath, depth + 1, budget));
    }
    return out;
  }
  if (!isPlainObject(v)) throw invalidEvent(`${path}: only plain objects are JSON objects, got ${describe(v)}`);
  const keys = Object.keys(v);
  spend(budget, 2 + Math.max(0, keys.length - 1), path);
  const out: Record<string, JsonValue> = {};
  for (const key of keys) {
    const p = keyPath(path, key);
    spend(budget, stringCost(budget, key, p) + 1, p);
    defineField(out, key, walk(ownField(v, key, path), p, depth + 1, budget));
  }
  return out;
}

/** Deep copy of an already validated value (same defining-not-assigning rule as checkJsonValue). */
export function copyJsonValue(v: JsonValue): JsonValue {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return (v as readonly JsonValue[]).map(copyJsonValue);
  const src = v as { readonly [key: string]: JsonValue };
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(src)) defineField(out, key, copyJsonValue(src[key] as JsonValue));
  return out;
}
