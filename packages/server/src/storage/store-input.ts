/**
 * Validation of the arguments every store receives, shared so SQLite and PostgreSQL accept and
 * refuse exactly the same values. Checks happen before any SQL runs, so a bad argument never
 * reaches the database and never leaves a half-done write.
 */
import { isLevel, type Level } from './doc-store.js';
import { StoreError, StoreErrorCode } from './store-error.js';

/**
 * Longest id, in UTF-16 code units. At most 3 UTF-8 bytes per unit keeps the composite index
 * keys (doc + agent) well under PostgreSQL's btree row limit of about 2.7 KB.
 */
export const MAX_ID_LENGTH = 512;
/** Longest free text (a version's name), in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 4096;

/** NUL (PostgreSQL text cannot hold it) or a surrogate not part of a pair (UTF-8 cannot encode it). */
const UNSTORABLE = /[\u0000\p{Cs}]/u;

function invalid(message: string): StoreError {
  return new StoreError(StoreErrorCode.InvalidArgument, message);
}

/** A short, safe rendering of a value for error messages. */
export function show(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = JSON.stringify(v);
  else if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) s = String(v);
  else s = typeof v;
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function checkString(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) {
    throw invalid(`${what} must be a string of 1..${max} characters, got ${show(v)}`);
  }
  const at = v.search(UNSTORABLE);
  if (at >= 0) throw invalid(`${what} ${show(v)} has a NUL or unpaired surrogate at index ${at}, which cannot be stored`);
  return v;
}

/** A document, user, room or token id. */
export function checkId(v: unknown, what: string): string {
  return checkString(v, what, MAX_ID_LENGTH);
}

export function checkText(v: unknown, what: string): string {
  return checkString(v, what, MAX_TEXT_LENGTH);
}

/** A version number or a count: a safe integer >= 0. */
export function checkVersion(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw invalid(`${what} must be a non-negative safe integer, got ${show(v)}`);
  }
  return v;
}

/** A limit on rows returned: a safe integer >= 1. */
export function checkLimit(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw invalid(`limit must be a positive safe integer, got ${show(v)}`);
  }
  return v;
}

/** A time in milliseconds since the Unix epoch (a safe integer; before 1970 is allowed). */
export function checkTime(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(`${what} must be an integer time in ms, got ${show(v)}`);
  return v;
}

export function checkLevel(v: unknown): Level {
  if (!isLevel(v)) throw invalid(`level must be "owner", "editor", "commenter" or "viewer", got ${show(v)}`);
  return v;
}

/** Converts an integer read back from the database (pg returns BIGINT as a string) to a number. */
export function intFromDb(v: unknown, what: string): number {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new StoreError(StoreErrorCode.Corrupt, `${what} read from the database is not a safe integer: ${show(v)}`);
  }
  return n;
}

/** Reads a level back from the database, refusing values this code does not know. */
export function levelFromDb(v: unknown): Level {
  if (!isLevel(v)) throw new StoreError(StoreErrorCode.Corrupt, `unknown access level in the database: ${show(v)}`);
  return v;
}

export function stringFromDb(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new StoreError(StoreErrorCode.Corrupt, `${what} read from the database is not text: ${show(v)}`);
  return v;
}

/** Most authors one checkpoint records; more would only mean an absurdly long checkpoint window. */
export const MAX_CHECKPOINT_AUTHORS = 1000;

/** A checkpoint's authors, checked like ids and stored as a sorted, duplicate-free JSON array. */
export function authorsToDb(v: unknown): string {
  if (!Array.isArray(v) || v.length > MAX_CHECKPOINT_AUTHORS) {
    throw invalid(`checkpoint authors must be an array of at most ${MAX_CHECKPOINT_AUTHORS} user ids, got ${show(v)}`);
  }
  const items: readonly unknown[] = v;
  const ids = items.map((a, i) => checkId(a, `checkpoint author ${i}`));
  return JSON.stringify([...new Set(ids)].sort());
}

/** Reads a checkpoint's authors back, refusing anything but a JSON array of strings. */
export function authorsFromDb(v: unknown): string[] {
  const text = stringFromDb(v, 'checkpoint authors');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StoreError(StoreErrorCode.Corrupt, `checkpoint authors in the database are not JSON: ${show(text)}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((a): a is string => typeof a === 'string')) {
    throw new StoreError(StoreErrorCode.Corrupt, `checkpoint authors in the database are not a list of ids: ${show(text)}`);
  }
  return parsed;
}
