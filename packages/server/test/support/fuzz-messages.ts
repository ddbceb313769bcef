/**
 * Message generators for the handler fuzz test, all driven by one seeded generator: random JSON
 * values (hostile strings, edge numbers, prototype keys, deep nesting), a plausible base message of
 * every client type, random events and text ops, and mutations of a message (a field dropped,
 * replaced, added or retyped; an array cut or doubled; the JSON text truncated or corrupted).
 */
import type { SeededRandom } from './storage-random.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * Lone surrogates are here (the edge must refuse them); well-formed pairs are not: random retains
 * would split them, and the core does not yet refuse remote events that do (the todo test in
 * limits-input.test.ts), so texts could end up with lone surrogates the protocol cannot carry.
 */
const HOSTILE_STRINGS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', '\u0000', '\ud800', '\udc00x', '\uffff',
  '\uffffsrv:x', 'body', 'events', 'ot', 'owner', 'editor', 'viewer', '../../etc/passwd', "'; DROP TABLE events; --", '%s%n', '\u202e',
  'null', 'NaN', '-1', '1e309',
];
const EDGE_NUMBERS = [0, -0, -1, 1, 1.5, -1.5, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e308, -1e308, Number.MIN_VALUE, 1e-7, 255, 256, 1024, 65536];
export const CLIENT_TYPES = ['hello', 'join_session', 'leave_session', 'operation', 'cursor_update', 'presence_update', 'request_sync', 'join_room', 'leave_room', 'room_broadcast', 'signal', 'ping'] as const;
const OTHER_TYPES = ['welcome', 'operation_ack', 'remote_operation', 'error', 'sync', '', 'PING', 'hello ', '__proto__', 'constructor', 'toString'];

function pick<T>(rng: SeededRandom, items: readonly T[]): T {
  return items[rng.range(0, items.length - 1)]!;
}

export function randomString(rng: SeededRandom, max = 24): string {
  if (rng.bool(0.3)) return pick(rng, HOSTILE_STRINGS);
  const alphabet = 'abcxyz019 _-é\n"\\{}';
  let s = '';
  for (let n = rng.range(0, max); n > 0; n--) s += alphabet[rng.range(0, alphabet.length - 1)]!;
  return s;
}

export function randomNumber(rng: SeededRandom): number {
  return rng.bool(0.5) ? pick(rng, EDGE_NUMBERS) : rng.range(-5, 100);
}

export function randomValue(rng: SeededRandom, depth = 3): Json {
  switch (rng.range(0, depth > 0 ? 8 : 5)) {
    case 0:
      return null;
    case 1:
      return rng.bool();
    case 2:
    case 3:
      return randomNumber(rng);
    case 4:
    case 5:
      return randomString(rng);
    case 6: {
      const out: Json[] = [];
      for (let n = rng.range(0, 4); n > 0; n--) out.push(randomValue(rng, depth - 1));
      return out;
    }
    default: {
      const out: JsonObject = {};
      for (let n = rng.range(0, 4); n > 0; n--) Object.defineProperty(out, randomString(rng, 8), { value: randomValue(rng, depth - 1), enumerable: true, writable: true, configurable: true });
      return out;
    }
  }
}

/** An object with `key` as an own data field, even for "__proto__". */
export function withField(obj: JsonObject, key: string, value: Json): JsonObject {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return obj;
}

export function randomOps(rng: SeededRandom, textLength: number): Json[] {
  const ops: Json[] = [];
  let pos = 0;
  for (let n = rng.range(1, 4); n > 0; n--) {
    const roll = rng.next();
    if (roll < 0.35) {
      const len = rng.bool(0.8) ? rng.range(1, Math.max(1, textLength - pos + 1)) : randomNumber(rng);
      ops.push({ type: 'retain', length: len });
      pos += len;
    } else if (roll < 0.75) {
      ops.push({ type: 'insert', content: rng.bool(0.8) ? randomString(rng, 6) || 'q' : randomValue(rng, 1) });
    } else {
      const len = rng.bool(0.8) ? rng.range(1, Math.max(1, textLength - pos)) : randomNumber(rng);
      ops.push({ type: 'delete', length: len });
      pos += len;
    }
  }
  return ops;
}

/** Context the generators draw from: the documents and ids that exist. */
export interface FuzzContext {
  readonly docs: readonly string[];
  readonly rooms: readonly string[];
  /** Ids of events known to exist per document (for plausible parents). */
  knownIds(docId: string): readonly { agent: string; seq: number }[];
  textLength(docId: string): number;
  connectionIds(): readonly string[];
  nextOperationId(): string;
}

export function pickDoc(rng: SeededRandom, ctx: FuzzContext): string {
  return rng.bool(0.85) ? pick(rng, ctx.docs) : randomString(rng, 12) || 'x';
}

export function randomEvent(rng: SeededRandom, ctx: FuzzContext, docId: string, agent: string, seq: number): JsonObject {
  const known = ctx.knownIds(docId);
  const parents: Json[] = [];
  for (let n = rng.range(0, 2); n > 0 && known.length > 0; n--) {
    const id = pick(rng, known);
    parents.push({ agent: id.agent, seq: id.seq });
  }
  if (rng.bool(0.1)) parents.push({ agent: randomString(rng, 6), seq: randomNumber(rng) });
  const roll = rng.next();
  let change: JsonObject;
  if (roll < 0.7) change = { type: 'text', name: rng.bool(0.8) ? 'body' : randomString(rng, 8), op: randomOps(rng, ctx.textLength(docId)) };
  else if (roll < 0.9) change = { type: 'map_set', name: rng.bool(0.5) ? 'meta' : randomString(rng, 8), key: randomString(rng, 8), value: randomValue(rng, 2) };
  else change = { type: 'map_delete', name: 'meta', key: randomString(rng, 8) };
  return { id: { agent, seq }, parents, change };
}

function presenceState(rng: SeededRandom): JsonObject {
  const s: JsonObject = {};
  if (rng.bool(0.3)) s['name'] = randomString(rng, 10);
  if (rng.bool(0.2)) s['color'] = pick(rng, ['#3b82f6', '#fff', 'red', '#12345']);
  if (rng.bool(0.2)) s['status'] = pick(rng, ['online', 'away', 'offline', 'busy']);
  if (rng.bool(0.2)) s['typing'] = rng.bool();
  if (rng.bool(0.2)) s['cursor'] = rng.bool(0.2) ? null : { anchor: rng.range(0, 20), head: rng.range(0, 20) };
  if (rng.bool(0.3)) s['custom'] = withField({}, randomString(rng, 8), randomValue(rng, 2));
  if (rng.bool(0.1)) s['invisible'] = rng.bool();
  return s;
}

/** A plausible message of a random client type (often valid, sometimes not). */
export function baseMessage(rng: SeededRandom, ctx: FuzzContext, type = pick(rng, CLIENT_TYPES)): JsonObject {
  const docId = pickDoc(rng, ctx);
  switch (type) {
    case 'hello':
      return { type, protocols: [1], devUser: { id: randomString(rng, 8) || 'u' } };
    case 'join_session': {
      const m: JsonObject = { type, docId };
      if (rng.bool(0.5)) m['mode'] = pick(rng, ['events', 'ot']);
      if (rng.bool(0.3)) m['since'] = rng.range(0, 50);
      if (rng.bool(0.1)) m['link'] = randomString(rng, 30) || 'l';
      if (rng.bool(0.2)) m['presence'] = presenceState(rng);
      return m;
    }
    case 'leave_session':
      // Mostly documents not joined: leaving a real one costs the rest of the batch its edits.
      return { type, docId: rng.bool(0.2) ? docId : randomString(rng, 12) || 'x' };
    case 'operation':
      if (rng.bool(0.6)) {
        const events: Json[] = [];
        for (let n = rng.range(1, 3); n > 0; n--) events.push(randomEvent(rng, ctx, docId, randomString(rng, 6) || 'a', rng.range(0, 3)));
        return { type, docId, operationId: ctx.nextOperationId(), events };
      }
      return { type, docId, operationId: ctx.nextOperationId(), version: rng.range(0, 30), operations: randomOps(rng, ctx.textLength(docId)) };
    case 'cursor_update':
      return { type, docId, version: rng.range(0, 30), cursor: rng.bool(0.2) ? null : { anchor: rng.range(0, 30), head: rng.range(0, 30) } };
    case 'presence_update':
      return rng.bool(0.5) ? { type, scope: 'doc', id: docId, state: presenceState(rng) } : { type, scope: 'room', id: pick(rng, ctx.rooms), state: presenceState(rng) };
    case 'request_sync':
      return { type, docId, since: rng.range(0, 40) };
    case 'join_room':
      return rng.bool(0.5) ? { type, room: pick(rng, ctx.rooms) } : { type, room: pick(rng, ctx.rooms), presence: presenceState(rng) };
    case 'leave_room':
      return { type, room: pick(rng, ctx.rooms) };
    case 'room_broadcast':
      return { type, room: pick(rng, ctx.rooms), event: randomString(rng, 10) || 'e', data: randomValue(rng, 3) };
    case 'signal': {
      const ids = ctx.connectionIds();
      return { type, docId, to: ids.length > 0 && rng.bool(0.7) ? pick(rng, ids) : randomString(rng, 10) || 'c', data: randomValue(rng, 2) };
    }
    default:
      return { type: 'ping', t: randomNumber(rng) };
  }
}

type Container = JsonObject | Json[];

/** Every container inside `value`, with itself first. */
function containers(value: Json, out: Container[] = []): Container[] {
  if (Array.isArray(value)) {
    out.push(value);
    for (const v of value) containers(v, out);
  } else if (value !== null && typeof value === 'object') {
    out.push(value);
    for (const v of Object.values(value)) containers(v, out);
  }
  return out;
}

/** Changes one random place of a (fresh) message object, in place. */
export function mutateValue(rng: SeededRandom, message: JsonObject): void {
  const all = containers(message);
  const target = pick(rng, all);
  if (Array.isArray(target)) {
    const roll = rng.range(0, 4);
    if (roll === 0 || target.length === 0) target.push(randomValue(rng, 2));
    else if (roll === 1) target.splice(rng.range(0, target.length - 1), 1);
    else if (roll === 2) target.push(target[rng.range(0, target.length - 1)]!);
    else if (roll === 3) target[rng.range(0, target.length - 1)] = randomValue(rng, 2);
    else target.length = 0;
    return;
  }
  const keys = Object.keys(target);
  const roll = rng.range(0, 5);
  if (roll === 0 && keys.length > 0) delete target[pick(rng, keys)];
  else if (roll === 1 || keys.length === 0) withField(target, randomString(rng, 8), randomValue(rng, 2));
  else if (roll === 2 && target === message) target['type'] = rng.bool(0.5) ? pick(rng, CLIENT_TYPES) : pick(rng, OTHER_TYPES);
  else if (roll === 3) {
    const k = pick(rng, keys);
    const v = target[k];
    target[k] = typeof v === 'number' ? randomNumber(rng) : typeof v === 'string' ? randomString(rng) : randomValue(rng, 1);
  } else withField(target, pick(rng, keys), randomValue(rng, 2));
}

/** A corrupted JSON text: cut, a character flipped or inserted, or deeply nested. */
export function mutateText(rng: SeededRandom, text: string): string {
  switch (rng.range(0, 4)) {
    case 0:
      return text.slice(0, rng.range(0, text.length));
    case 1: {
      const i = rng.range(0, Math.max(0, text.length - 1));
      return text.slice(0, i) + pick(rng, ['"', '{', '}', '[', ',', ':', '\\', 'x', ' ', '0']) + text.slice(i + 1);
    }
    case 2: {
      const i = rng.range(0, text.length);
      return text.slice(0, i) + pick(rng, ['"', '{', ']', ',', 'null', '1e999', '"\\ud800"']) + text.slice(i);
    }
    case 3: {
      const depth = rng.range(100, 5000);
      return `{"type":"ping","t":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    }
    default:
      return pick(rng, ['', 'null', '[]', '"hello"', '42', 'true', '{}', '{"type":null}', '{"type":1}', '{"__proto__":{"type":"ping"},"t":1}']);
  }
}
