/**
 * The JSON form of events (wire and debugging): validation of untrusted parsed JSON into `Event`s,
 * and the reverse copy. Also owns the limits on ids, names and keys that the binary decoder shares.
 */
import type { Change, Event } from '../event.js';
import { compareEventIds, MAX_AGENT_ID_LENGTH, type AgentId, type EventId } from '../ids.js';
import { checkOp, type OpComponent } from '../text-op.js';
import {
  checkJsonValue,
  copyJsonValue,
  DEFAULT_MAX_VALUE_BYTES,
  describe,
  invalidEvent,
  isPlainObject,
  isWellFormed,
  keyPath,
  ownField,
} from './json-value.js';

/** Longest accepted text/map name, in UTF-16 code units. */
export const MAX_NAME_LENGTH = 256;
/** Longest accepted map key, in UTF-16 code units. */
export const MAX_KEY_LENGTH = 1024;
/**
 * Default cap on the parents of one event. A local event's parents are the replica's whole frontier,
 * one head per agent that edited concurrently, so this bounds concurrent writers, not a shape: keep
 * it well above the number of people who may type in one document at once.
 */
export const DEFAULT_MAX_PARENTS = 4096;
/** Default cap on the events of one JSON batch. */
export const DEFAULT_MAX_JSON_EVENTS = 100_000;

export interface EventLimits {
  /** Most parents per event. Default {@link DEFAULT_MAX_PARENTS}. */
  readonly maxParents?: number;
  /** Largest map value, as the length of its JSON text. Default 64 KiB. */
  readonly maxValueBytes?: number;
  /** Most events accepted by checkEvents. Default {@link DEFAULT_MAX_JSON_EVENTS}. */
  readonly maxEvents?: number;
  /** Most components per text op, passed to checkOp. Default: checkOp's own. */
  readonly maxOpComponents?: number;
}

interface ResolvedLimits {
  readonly maxParents: number;
  readonly maxValueBytes: number;
  readonly maxOpComponents: number | undefined;
}

function resolve(limits: EventLimits | undefined): ResolvedLimits {
  return {
    maxParents: limits?.maxParents ?? DEFAULT_MAX_PARENTS,
    maxValueBytes: limits?.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
    maxOpComponents: limits?.maxOpComponents,
  };
}

/** Fails unless `v` is a plain object whose fields are exactly `required` (plus optional `extra`). */
function expectObject(v: unknown, path: string, required: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(v)) throw invalidEvent(`${path} must be a plain object, got ${describe(v)}`);
  for (const key of Object.keys(v)) {
    if (!required.includes(key)) throw invalidEvent(`${path} has unexpected field ${describe(key)}`);
  }
  for (const key of required) {
    if (!Object.prototype.hasOwnProperty.call(v, key)) throw invalidEvent(`${path} is missing field ${describe(key)}`);
  }
  return v;
}

/** Validates an agent id: a well-formed string of 1..MAX_AGENT_ID_LENGTH code units. */
export function checkAgent(v: unknown, path: string): AgentId {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_AGENT_ID_LENGTH || !isWellFormed(v)) {
    throw invalidEvent(`${path} must be a well-formed string of 1..${MAX_AGENT_ID_LENGTH} characters, got ${describe(v)}`);
  }
  return v as AgentId;
}

/** Validates a text/map name: a well-formed string of 1..MAX_NAME_LENGTH code units. */
export function checkName(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_NAME_LENGTH || !isWellFormed(v)) {
    throw invalidEvent(`${path} must be a well-formed string of 1..${MAX_NAME_LENGTH} characters, got ${describe(v)}`);
  }
  return v;
}

/** Validates a map key: a well-formed string of at most MAX_KEY_LENGTH code units (may be empty). */
export function checkKey(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length > MAX_KEY_LENGTH || !isWellFormed(v)) {
    throw invalidEvent(`${path} must be a well-formed string of at most ${MAX_KEY_LENGTH} characters, got ${describe(v)}`);
  }
  return v;
}

function checkSeq(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw invalidEvent(`${path} must be a non-negative safe integer, got ${describe(v)}`);
  }
  return v;
}

export function checkEventId(v: unknown, path: string): EventId {
  const o = expectObject(v, path, ['agent', 'seq']);
  return { agent: checkAgent(ownField(o, 'agent', path), `${path}.agent`), seq: checkSeq(ownField(o, 'seq', path), `${path}.seq`) };
}

function checkParents(v: unknown, path: string, self: EventId, max: number): EventId[] {
  if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) {
    throw invalidEvent(`${path} must be an array of event ids, got ${describe(v)}`);
  }
  const items: unknown[] = v;
  if (items.length > max) throw invalidEvent(`${path} has ${items.length} parents, more than the limit of ${max}`);
  const parents: EventId[] = [];
  for (let i = 0; i < items.length; i++) {
    const p = `${path}[${i}]`;
    const id = checkEventId(ownField(items, String(i), path), p);
    // An agent's events are sequential, so none can have seen its own event of the same or a later
    // seq: such a parent would be a cycle.
    if (id.agent === self.agent && id.seq >= self.seq) {
      throw invalidEvent(`${p} (${id.agent}:${id.seq}) cannot be a parent of ${self.agent}:${self.seq}`);
    }
    parents.push(id);
  }
  parents.sort(compareEventIds);
  for (let i = 1; i < parents.length; i++) {
    const a = parents[i - 1] as EventId;
    const b = parents[i] as EventId;
    if (compareEventIds(a, b) === 0) throw invalidEvent(`${path} lists ${describe(b.agent)}:${b.seq} twice`);
  }
  return parents;
}

function checkChange(v: unknown, path: string, limits: ResolvedLimits): Change {
  if (!isPlainObject(v)) throw invalidEvent(`${path} must be a plain object, got ${describe(v)}`);
  const type = ownField(v, 'type', path);
  switch (type) {
    case 'text': {
      const o = expectObject(v, path, ['type', 'name', 'op']);
      const name = checkName(ownField(o, 'name', path), `${path}.name`);
      const opts = limits.maxOpComponents === undefined ? {} : { maxComponents: limits.maxOpComponents };
      // checkOp's own errors (ERR_INVALID_OP, ERR_SPLIT_SURROGATE) pass through unchanged.
      return { type, name, op: checkOp(ownField(o, 'op', path), opts) };
    }
    case 'map_set': {
      const o = expectObject(v, path, ['type', 'name', 'key', 'value']);
      return {
        type,
        name: checkName(ownField(o, 'name', path), `${path}.name`),
        key: checkKey(ownField(o, 'key', path), `${path}.key`),
        value: checkJsonValue(ownField(o, 'value', path), `${path}.value`, limits.maxValueBytes),
      };
    }
    case 'map_delete': {
      const o = expectObject(v, path, ['type', 'name', 'key']);
      return { type, name: checkName(ownField(o, 'name', path), `${path}.name`), key: checkKey(ownField(o, 'key', path), `${path}.key`) };
    }
    default:
      throw invalidEvent(`${keyPath(path, 'type')} must be "text", "map_set" or "map_delete", got ${describe(type)}`);
  }
}

function checkEventAt(value: unknown, path: string, limits: ResolvedLimits): Event {
  const o = expectObject(value, path, ['id', 'parents', 'change']);
  const id = checkEventId(ownField(o, 'id', path), `${path}.id`);
  const parents = checkParents(ownField(o, 'parents', path), `${path}.parents`, id, limits.maxParents);
  return { id, parents, change: checkChange(ownField(o, 'change', path), `${path}.change`, limits) };
}

/**
 * Validates untrusted parsed JSON as one event and returns a fresh, normalized copy (parents sorted
 * by compareEventIds, op in checkOp's canonical form, map value deep-copied).
 * @throws TandemError ERR_INVALID_EVENT naming the field path and value; checkOp's errors for the op.
 */
export function checkEvent(value: unknown, limits?: EventLimits): Event {
  return checkEventAt(value, 'event', resolve(limits));
}

/**
 * Validates an untrusted array of events (at most `maxEvents`, no id twice).
 * @throws TandemError ERR_INVALID_EVENT naming the index and field path; checkOp's errors for ops.
 */
export function checkEvents(value: unknown, limits?: EventLimits): Event[] {
  const max = limits?.maxEvents ?? DEFAULT_MAX_JSON_EVENTS;
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) {
    throw invalidEvent(`events must be an array, got ${describe(value)}`);
  }
  const items: unknown[] = value;
  if (items.length > max) throw invalidEvent(`events has ${items.length} entries, more than the limit of ${max}`);
  const resolved = resolve(limits);
  const seen = new Set<string>();
  const out: Event[] = [];
  for (let i = 0; i < items.length; i++) {
    const path = `events[${i}]`;
    const e = checkEventAt(ownField(items, String(i), 'events'), path, resolved);
    // The seq leads so the key is unambiguous whatever characters the agent id holds.
    const key = `${e.id.seq}:${e.id.agent}`;
    if (seen.has(key)) throw invalidEvent(`${path}.id ${describe(e.id.agent)}:${e.id.seq} appears twice`);
    seen.add(key);
    out.push(e);
  }
  return out;
}

function copyComponent(c: OpComponent): OpComponent {
  return c.type === 'insert' ? { type: 'insert', content: c.content } : { type: c.type, length: c.length };
}

function copyChange(c: Change): Change {
  switch (c.type) {
    case 'text':
      return { type: 'text', name: c.name, op: c.op.map(copyComponent) };
    case 'map_set':
      return { type: 'map_set', name: c.name, key: c.key, value: copyJsonValue(c.value) };
    case 'map_delete':
      return { type: 'map_delete', name: c.name, key: c.key };
  }
}

/** The JSON form of an event: a fresh plain copy, safe to JSON.stringify and to mutate. */
export function eventToJSON(e: Event): Event {
  return {
    id: { agent: e.id.agent, seq: e.id.seq },
    parents: e.parents.map((p) => ({ agent: p.agent, seq: p.seq })),
    change: copyChange(e.change),
  };
}

