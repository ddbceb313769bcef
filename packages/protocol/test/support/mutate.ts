/**
 * Generators of hostile input for the parser fuzz test: random JSON values, structural mutations
 * of valid messages (dropped and added fields, wrong types, huge numbers, deep nesting,
 * "__proto__" keys, cross-type confusion) and text-level damage (truncation, stray characters,
 * number literals JSON.parse turns into Infinity or -0, random bytes).
 */
import type { Rng } from './random.js';

type Container = Record<string, unknown> | unknown[];
interface Slot {
  readonly parent: Container;
  readonly key: string | number;
}

const KEYS = [
  'type', 'docId', 'operationId', 'version', 'operations', 'events', 'since', 'text', 'cursor', 'presence', 'custom', 'data',
  'room', 'id', 'state', 'scope', 'protocols', 'token', 'peer', 'anchor', 'head', 'content', 'length', 'agent', 'seq',
  'parents', 'change', '__proto__', 'constructor', 'prototype', 'toString', '', 'x', 'é', '😀',
];
export const ALL_TYPES = [
  'hello', 'join_session', 'leave_session', 'operation', 'cursor_update', 'presence_update', 'request_sync', 'join_room',
  'leave_room', 'room_broadcast', 'signal', 'ping', 'welcome', 'session_joined', 'operation_ack', 'remote_operation',
  'remote_cursor', 'presence', 'user_joined', 'user_left', 'sync', 'room_joined', 'room_event', 'pong', 'error',
];
const STRINGS = ['', 'NaN', 'Infinity', '-0', '1e999', '__proto__', 'constructor', 'retain', 'insert', 'delete', 'body', 'ot', 'events', 'doc', 'room', '#fff', 'a\ud800', '\udc00', '😀', '\u0000', 'editor', 'online', 'BAD_MESSAGE'];
const NUMBERS = [0, -0, 1, -1, 0.5, 1.5, 2 ** 31, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1e308, -1e308, 5e-324, 1e21, 16, 17, 1000, 1001, 10_000, 10_001];
const TEXT_INSERTS = ['{', '}', '[', ']', '"', ',', ':', '\\', '\\u', '\\ud800', '\u0000', '1e999', '-1e999', '-0', 'NaN', 'null', '"__proto__":{},', '"constructor":1,', ' ', '\n', '\uFEFF', '€'];

/** Defines (never assigns) so a "__proto__" key becomes own data and the generator itself stays clean. */
function put(parent: Container, key: string | number, value: unknown): void {
  if (Array.isArray(parent)) {
    // A named key on an array would not survive JSON anyway; grow the array instead.
    if (typeof key === 'number') parent[key] = value;
    else parent.push(value);
  } else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

export function randomString(rng: Rng): string {
  if (rng.bool(0.6)) return rng.pick(STRINGS);
  const n = rng.bool(0.9) ? rng.int(12) : rng.pick([127, 128, 129, 255, 256, 257, 4097]);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.bool(0.8) ? 0x20 + rng.int(95) : rng.int(0x10000));
  return s;
}

function randomScalar(rng: Rng): unknown {
  switch (rng.int(5)) {
    case 0:
      return rng.pick(NUMBERS);
    case 1:
      return rng.int(100) - 10;
    case 2:
      return rng.pick([true, false, null]);
    default:
      return randomString(rng);
  }
}

/** A random JSON value, sometimes nested, sometimes with prototype-named keys. */
export function randomValue(rng: Rng, depth = 0): unknown {
  if (depth > 4 || rng.bool(0.55)) return randomScalar(rng);
  if (rng.bool(0.5)) return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = rng.int(4); i > 0; i--) put(o, rng.pick(KEYS), randomValue(rng, depth + 1));
  return o;
}

/** Arrays and objects nested `depth` deep. */
export function deepNest(rng: Rng, depth: number): unknown {
  let v: unknown = randomScalar(rng);
  for (let i = 0; i < depth; i++) {
    if (rng.bool()) v = [v];
    else {
      const o: Record<string, unknown> = {};
      put(o, rng.pick(KEYS), v);
      v = o;
    }
  }
  return v;
}

/** Every position inside `root` (bounded, so huge arrays do not slow the fuzzer down). */
function slots(root: Container): Slot[] {
  const out: Slot[] = [];
  const visit = (c: Container, depth: number): void => {
    const keys: (string | number)[] = Array.isArray(c) ? c.map((_, i) => i) : Object.keys(c);
    for (const key of keys.slice(0, 50)) {
      out.push({ parent: c, key });
      const child: unknown = Array.isArray(c) ? c[key as number] : Object.getOwnPropertyDescriptor(c, key)?.value;
      if (depth < 8 && typeof child === 'object' && child !== null) visit(child as Container, depth + 1);
    }
  };
  visit(root, 0);
  return out;
}

function containers(root: Container): Container[] {
  return [root, ...slots(root).map((s) => (Array.isArray(s.parent) ? s.parent[s.key as number] : Object.getOwnPropertyDescriptor(s.parent, s.key)?.value)).filter((v): v is Container => typeof v === 'object' && v !== null)];
}

function tweak(rng: Rng, v: unknown): unknown {
  if (typeof v === 'number') return rng.pick([v + 1, -v - 1, v * 1e10, v + 0.5, Number.MAX_SAFE_INTEGER + 2, 1e308, -0]);
  if (typeof v === 'string') return rng.pick(['', v.repeat(300), `${v}\ud800`, v.toUpperCase(), `${v} `, Number(v)]);
  if (Array.isArray(v)) return rng.pick([[], [v], v.concat(v), Array.from({ length: rng.pick([17, 33, 1001]) }, () => v[0]), {}]);
  return randomValue(rng);
}

/** Applies one structural mutation to `root` in place. */
export function mutateOnce(rng: Rng, root: Record<string, unknown>): void {
  const all = slots(root);
  const slot = all.length > 0 ? rng.pick(all) : undefined;
  switch (rng.int(9)) {
    case 0: // drop a field or element
      if (slot === undefined) return;
      if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
      else delete slot.parent[slot.key as string];
      return;
    case 1: // add a field, often a prototype name
      put(rng.pick(containers(root)), rng.pick(KEYS), randomValue(rng));
      return;
    case 2: // wrong type or hostile value
      if (slot !== undefined) put(slot.parent, slot.key, randomValue(rng));
      return;
    case 3: // nudge the existing value: off by one, huge, fractional, longer, empty
      if (slot !== undefined) put(slot.parent, slot.key, tweak(rng, Array.isArray(slot.parent) ? slot.parent[slot.key as number] : Object.getOwnPropertyDescriptor(slot.parent, slot.key)?.value));
      return;
    case 4: // cross-type confusion: same fields, other type
      put(root, 'type', rng.bool(0.9) ? rng.pick(ALL_TYPES) : randomString(rng));
      return;
    case 5: // deep nesting
      if (slot !== undefined) put(slot.parent, slot.key, deepNest(rng, rng.pick([10, 33, 65, 300])));
      return;
    case 6: // null where something is expected
      if (slot !== undefined) put(slot.parent, slot.key, null);
      return;
    case 7: // move a value to another key
      if (slot !== undefined && !Array.isArray(slot.parent)) put(slot.parent, rng.pick(KEYS), Object.getOwnPropertyDescriptor(slot.parent, slot.key)?.value);
      return;
    default: // "__proto__" with an object value somewhere
      put(rng.pick(containers(root)), '__proto__', rng.bool() ? { polluted: true } : randomValue(rng));
  }
}

/** Damages JSON text: truncation, stray characters, deleted ranges, hostile number literals. */
export function mutateText(rng: Rng, text: string): string {
  const at = rng.int(text.length + 1);
  switch (rng.int(5)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + rng.pick(TEXT_INSERTS) + text.slice(at);
    case 2:
      return text.slice(0, at) + text.slice(at + 1 + rng.int(8));
    case 3:
      return text.replace(/-?\d+(\.\d+)?/, rng.pick(['1e999', '-0', '1e-400', '00', '1.', '0x10', '99999999999999999999', '1E+2']));
    default: {
      const n = rng.pick([5, 100, 5000]);
      return text.slice(0, at) + '['.repeat(n) + ']'.repeat(rng.bool() ? n : 0) + text.slice(at);
    }
  }
}

/** Random bytes, sometimes spliced into valid UTF-8 text. */
export function randomBytes(rng: Rng, text: string): Uint8Array {
  if (rng.bool(0.3)) return Uint8Array.from({ length: rng.int(64) }, () => rng.int(256));
  const bytes = Buffer.from(text, 'utf8');
  const out = new Uint8Array(bytes);
  for (let i = rng.int(3) + 1; i > 0 && out.length > 0; i--) out[rng.int(out.length)] = rng.pick([0xff, 0xc0, 0x80, 0xed, 0x00, rng.int(256)]);
  return out;
}
