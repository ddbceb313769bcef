/**
 * How events are kept in a database row, shared by every store: validation and normalization on
 * the way in, the JSON text and canonical payload used for dedupe, checked decoding on the way
 * out, and the append plan that decides, for a batch, which events are new, which are duplicates
 * and whether any conflicts with what is stored. Keeping these rules in one place is what makes
 * the two databases behave identically.
 */
import { CoreErrorCode, TandemError, checkEvent, eventIdToString, type Event, type EventLimits } from '@tandem/core';
import type { StoredEvent } from './doc-store.js';
import { checkId, show } from './store-input.js';
import { StoreError, StoreErrorCode } from './store-error.js';

/**
 * Size policy belongs to the server, which checks events against its configured limits before
 * appending. The store only checks shape, so an event the server accepted can always be read
 * back, whatever limits are configured later.
 */
const SHAPE_ONLY: EventLimits = {
  maxParents: Number.MAX_SAFE_INTEGER,
  maxValueBytes: Number.MAX_SAFE_INTEGER,
  maxOpComponents: Number.MAX_SAFE_INTEGER,
};

/** An event ready to be written: normalized, with its JSON text and canonical payload. */
export interface EventRecord {
  readonly event: Event;
  readonly agent: string;
  readonly seq: number;
  /** The whole event as JSON text: what the row stores. */
  readonly json: string;
  /** Canonical JSON of {parents, change}: equal exactly when two events carry the same change. */
  readonly payload: string;
}

/**
 * JSON text with object keys sorted (by code unit), so equal values give equal text whatever
 * order their keys were built in. Keys are only ever read and written as strings, so keys like
 * "__proto__" are plain data here.
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`canonicalJson: ${v} is not a JSON number`);
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${(v as readonly unknown[]).map(canonicalJson).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: ${typeof v} is not a JSON value`);
}

function payloadOf(e: Event): string {
  return canonicalJson({ parents: e.parents, change: e.change });
}

/**
 * Validates an untrusted event and prepares its row, without its payload (a store that only needs
 * it for resends computes it from the JSON text with storedPayload, when it needs it).
 */
export function toRowJson(value: unknown): Omit<EventRecord, 'payload'> {
  const event = checkEvent(value, SHAPE_ONLY);
  // The agent is indexed with the document id, so it obeys the same storable-id rules.
  try {
    checkId(event.id.agent, 'event agent');
  } catch (e) {
    throw new TandemError(CoreErrorCode.InvalidEvent, `event.id.agent: ${(e as Error).message}`);
  }
  return { event, agent: event.id.agent, seq: event.id.seq, json: JSON.stringify(event) };
}

/**
 * Validates an untrusted event and prepares its row. Normalizing first (parents sorted, op in
 * canonical form) means a resend that differs only in such incidental form still dedupes.
 * @throws TandemError ERR_INVALID_EVENT (and checkOp's codes) for a malformed event.
 */
export function toRecord(value: unknown): EventRecord {
  const row = toRowJson(value);
  return { ...row, payload: payloadOf(row.event) };
}

/** Parses and checks stored JSON text; a failure means the database holds something we never wrote. */
function decode(json: string, where: string): Event {
  try {
    return checkEvent(JSON.parse(json) as unknown, SHAPE_ONLY);
  } catch (e) {
    throw new StoreError(StoreErrorCode.Corrupt, `${where} is unreadable: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Decodes a stored row back into an event, checking it, and that it really is the row's id: a
 * mismatch means the database was edited by hand or corrupted, and serving it would be worse
 * than failing loudly.
 */
export function fromRow(version: number, json: string, agent: string, seq: number): StoredEvent {
  const event = decode(json, `stored event at version ${version}`);
  if (event.id.agent !== agent || event.id.seq !== seq) {
    throw new StoreError(
      StoreErrorCode.Corrupt,
      `stored event at version ${version} is ${eventIdToString(event.id)} but its row says ${show(agent)}:${seq}`,
    );
  }
  return { version, event };
}

/** The payload of a stored event's JSON text, for comparing with a resent event. */
export function storedPayload(json: string): string {
  return payloadOf(decode(json, 'stored event'));
}

/** Map key of an event id; the seq leads so the key is unambiguous whatever the agent holds. */
export function idKey(agent: string, seq: number): string {
  return `${seq}:${agent}`;
}

/** What planAppend needs of a record (a store may carry more, e.g. the event itself). */
export type PlannedRecord = Pick<EventRecord, 'agent' | 'seq' | 'payload'>;

export interface AppendPlan<R extends PlannedRecord = EventRecord> {
  /** The new rows: the records with the versions they get. */
  readonly rows: readonly { readonly record: R; readonly version: number }[];
  readonly duplicates: number;
  readonly head: number;
}

/**
 * Decides what an append does, given the payloads already stored under the batch's ids and the
 * document's current head. Events repeated inside the batch are treated like resends of the
 * first. Pure, so both stores share it; they call it while holding the document's write lock.
 * @throws TandemError ERR_CONFLICTING_EVENT if any id is stored (or repeated) with another payload.
 */
export function planAppend<R extends PlannedRecord>(records: readonly R[], storedPayloads: ReadonlyMap<string, string>, head: number): AppendPlan<R> {
  // Records of this batch are kept, not their payloads: a payload is only read when an id repeats
  // (a store may compute it lazily; see sqlite-writes.ts).
  const seen = new Map<string, string | PlannedRecord>(storedPayloads);
  const rows: { readonly record: R; readonly version: number }[] = [];
  let duplicates = 0;
  let next = head;
  for (const r of records) {
    const key = idKey(r.agent, r.seq);
    const found = seen.get(key);
    const existing = typeof found === 'object' ? found.payload : found;
    if (existing === undefined) {
      next += 1;
      rows.push({ record: r, version: next });
      seen.set(key, r);
    } else if (existing === r.payload) {
      duplicates += 1;
    } else {
      throw new TandemError(
        CoreErrorCode.ConflictingEvent,
        `event ${r.agent}:${r.seq} is already stored with a different payload; nothing of this batch was stored`,
      );
    }
  }
  return { rows, duplicates, head: next };
}
