/**
 * The building blocks every message validator is made of: a reader for one untrusted JSON object
 * that refuses unknown fields and only ever reads own data properties, and small checks for the
 * scalar field kinds (bounded strings, safe integers, enums). Each failure throws a ProtocolError
 * whose message names the field path and the offending value.
 */
import { ProtocolError } from './errors.js';
import { ErrorCode } from './messages.js';

/** Validates one untrusted value at `path` and returns it (or a fresh copy). */
export type Check<T> = (value: unknown, path: string) => T;

/** The mutable twin of a readonly message type, for building a result field by field. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** A short rendering of an untrusted value for error messages: never throws, never prints megabytes. */
export function describe(v: unknown): string {
  let s: string;
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') s = JSON.stringify(v);
  else if (v === null || typeof v !== 'object') s = String(v);
  else if (Array.isArray(v)) s = `an array of length ${v.length}`;
  else s = 'an object';
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function fail(code: ErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

/** Throws `<path> must be <expectation>, got <value>`. */
export function mustBe(path: string, expectation: string, v: unknown, code: ErrorCode = ErrorCode.BadMessage): never {
  return fail(code, `${path} must be ${expectation}, got ${describe(v)}`);
}

/**
 * True for objects as JSON.parse makes them (or Object.create(null)). Arrays and class instances
 * are refused so nothing with inherited behaviour reaches the validated message.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** True for arrays as JSON.parse makes them. */
export function isPlainArray(v: unknown): v is unknown[] {
  return Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
}

/**
 * True when `s` has no unpaired UTF-16 surrogate. Such strings cannot be stored as UTF-8 (SQLite,
 * PostgreSQL) without being silently altered, so ids and names must not contain them.
 */
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
 * The own data property `key` of `obj`, or undefined when absent. Reading through the descriptor
 * never runs a getter and never finds an inherited property (so a message lacking `docId` cannot
 * pick one up from a polluted prototype).
 */
export function ownValue(obj: object, key: string, path: string): unknown {
  const d = Object.getOwnPropertyDescriptor(obj, key);
  if (d === undefined) return undefined;
  if (!('value' in d)) fail(ErrorCode.BadMessage, `${path}.${key} must be plain data`);
  return d.value;
}

/** One untrusted JSON object whose fields must all be among `allowed`. */
export class FieldReader {
  private readonly obj: Record<string, unknown>;
  readonly path: string;

  constructor(value: unknown, path: string, allowed: readonly string[]) {
    if (!isPlainObject(value)) mustBe(path, 'an object', value);
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) fail(ErrorCode.BadMessage, `${path} has unknown field ${describe(key)}`);
    }
    this.obj = value;
    this.path = path;
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, key);
  }

  /** A required field, validated by `check`. */
  req<T>(key: string, check: Check<T>): T {
    const p = `${this.path}.${key}`;
    if (!this.has(key)) fail(ErrorCode.BadMessage, `${p} is required`);
    return check(ownValue(this.obj, key, this.path), p);
  }

  /** An optional field: undefined when absent, else validated by `check` (so `null` is not "absent"). */
  opt<T>(key: string, check: Check<T>): T | undefined {
    if (!this.has(key)) return undefined;
    return check(ownValue(this.obj, key, this.path), `${this.path}.${key}`);
  }
}

/** Strings of `min..max` UTF-16 code units without unpaired surrogates. */
export function boundedString(min: 0 | 1, max: number): Check<string> {
  const expectation = min === 0 ? `a string of at most ${max} characters` : `a non-empty string of at most ${max} characters`;
  return (v, path) => {
    if (typeof v !== 'string' || v.length < min || v.length > max) return mustBe(path, expectation, v);
    if (!isWellFormed(v)) fail(ErrorCode.BadMessage, `${path} must not contain unpaired UTF-16 surrogates`);
    return v;
  };
}

export const nonNegativeInt: Check<number> = (v, path) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return mustBe(path, 'a non-negative safe integer', v);
  return v === 0 ? 0 : v; // JSON.parse("-0") is -0, which passes the test above but would not round-trip
};

export const positiveInt: Check<number> = (v, path) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) return mustBe(path, 'a positive safe integer', v);
  return v;
};

/** Any finite number. JSON.parse turns `1e999` into Infinity, so this is not implied by "came from JSON". */
export const finiteNumber: Check<number> = (v, path) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return mustBe(path, 'a finite number', v);
  return v === 0 ? 0 : v; // -0 would not survive a JSON round trip; normalise it now
};

export const boolean: Check<boolean> = (v, path) => {
  if (typeof v !== 'boolean') return mustBe(path, 'true or false', v);
  return v;
};

/** One of a fixed set of strings. */
export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  const expectation = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return (v, path) => {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) return mustBe(path, expectation, v);
    return v as T;
  };
}

/** A plain JSON array of at most `max` items (`min` at least), each validated by `item`. */
export function arrayOf<T>(item: Check<T>, min: number, max: number, limitCode: ErrorCode = ErrorCode.BadMessage): Check<T[]> {
  return (v, path) => {
    if (!isPlainArray(v)) return mustBe(path, 'an array', v);
    if (v.length < min) return mustBe(path, `an array of at least ${min} entries`, v);
    if (v.length > max) return fail(limitCode, `${path} has ${v.length} entries, more than the limit of ${max}`);
    const out: T[] = [];
    for (let i = 0; i < v.length; i++) out.push(item(ownValue(v, String(i), path), `${path}[${i}]`));
    return out;
  };
}

/** `null`, or a value validated by `check`. */
export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v, path) => (v === null ? null : check(v, path));
}
