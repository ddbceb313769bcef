/**
 * Checks for what REST requests carry (JSON body fields, path parameters, query parameters), each
 * refusing a bad value with a 400 that names the field and shows the value. Bounds follow the
 * WebSocket protocol's, so REST accepts exactly the ids and names a client could use there.
 */
import { LEVELS, MAX_DOC_ID_LENGTH, MAX_TEXT_NAME_LENGTH } from '@tandem/protocol';
import type { Level } from '@tandem/protocol';
import { badRequest } from './http-error.js';

/** An unpaired surrogate (cannot be stored or sent as UTF-8) or NUL (cannot be stored in PostgreSQL). */
const UNSTORABLE = /[\u0000\p{Cs}]/u;

/** A short rendering of a client-supplied value for error messages. */
export function show(v: unknown): string {
  const s = v === undefined ? 'undefined' : typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? (Array.isArray(v) ? 'an array' : 'an object') : String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The body as an object of fields; `allowed` lists the fields it may have. */
export function objectBody(body: unknown, allowed: readonly string[]): Readonly<Record<string, unknown>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`request body must be a JSON object, got ${show(body)}`);
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) throw badRequest(`unexpected field ${JSON.stringify(key)} in the request body; allowed: ${allowed.join(', ')}`);
  }
  return fields;
}

/** Whether the body has the field as its own (JSON.parse makes "__proto__" an own field too). */
export function has(fields: Readonly<Record<string, unknown>>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(fields, key) && fields[key] !== undefined;
}

/** A string of bounded length without unpaired surrogates or NUL. */
export function boundedString(v: unknown, what: string, min: number, max: number): string {
  if (typeof v !== 'string' || v.length < min || v.length > max) throw badRequest(`${what} must be a string of ${min}..${max} characters, got ${show(v)}`);
  const at = v.search(UNSTORABLE);
  if (at >= 0) throw badRequest(`${what} has a NUL or an unpaired surrogate at index ${at}`);
  return v;
}

/** Document text: any length (the body limit bounds it), but well-formed. */
export function textValue(v: unknown, what: string): string {
  return boundedString(v, what, 0, Number.MAX_SAFE_INTEGER);
}

export function docIdValue(v: unknown, what = 'document id'): string {
  return boundedString(v, what, 1, MAX_DOC_ID_LENGTH);
}

export function textNameValue(v: unknown, what = 'text name'): string {
  return boundedString(v, what, 1, MAX_TEXT_NAME_LENGTH);
}

/** A version (non-negative safe integer) from JSON. */
export function versionValue(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw badRequest(`${what} must be a non-negative integer, got ${show(v)}`);
  return v;
}

/** A non-negative integer written in a path or query string: digits only, nothing else. */
export function intParam(v: string | null | undefined, what: string): number {
  if (v === null || v === undefined || !/^[0-9]{1,15}$/.test(v)) throw badRequest(`${what} must be a non-negative integer, got ${show(v ?? undefined)}`);
  return Number(v);
}

/** An access level: owner, editor, commenter or viewer. */
export function levelValue(v: unknown, what = 'level'): Level {
  if (typeof v !== 'string' || !(LEVELS as readonly string[]).includes(v)) throw badRequest(`${what} must be one of ${LEVELS.join(', ')}, got ${show(v)}`);
  return v as Level;
}
