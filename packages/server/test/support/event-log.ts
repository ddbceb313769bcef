/**
 * Bookkeeping of events for tests that check what a server kept: events keyed by id, compared by
 * their normalized payload (the store normalizes parents and ops, so a byte-for-byte comparison of
 * what a client sent would report false differences), and a core Doc rebuilt from a set of events.
 */
import { Doc, agentId, checkEvent, eventIdToString } from '@tandem/core';
import type { Event, JsonValue } from '@tandem/core';
import { canonicalJson } from '../../src/storage/event-records.js';

export function eventKey(e: Event): string {
  return eventIdToString(e.id);
}

/** Canonical {parents, change} after the same normalization the server applies. */
export function payloadOf(e: Event): string {
  const n = checkEvent(e, { maxParents: Number.MAX_SAFE_INTEGER, maxValueBytes: Number.MAX_SAFE_INTEGER, maxOpComponents: Number.MAX_SAFE_INTEGER });
  return canonicalJson({ parents: n.parents, change: n.change });
}

/** Events by id with their payloads; adding an id twice with different payloads is an error. */
export class EventSet {
  private readonly byKey = new Map<string, { event: Event; payload: string }>();

  add(e: Event): void {
    const key = eventKey(e);
    const payload = payloadOf(e);
    const had = this.byKey.get(key);
    if (had !== undefined && had.payload !== payload) throw new Error(`event ${key} recorded twice with different payloads`);
    if (had === undefined) this.byKey.set(key, { event: e, payload });
  }

  addAll(events: Iterable<Event>): void {
    for (const e of events) this.add(e);
  }

  has(e: Event): boolean {
    return this.byKey.has(eventKey(e));
  }

  /** The payload recorded for this event's id, if any. */
  payload(e: Event): string | undefined {
    return this.byKey.get(eventKey(e))?.payload;
  }

  get(key: string): Event | undefined {
    return this.byKey.get(key)?.event;
  }

  get size(): number {
    return this.byKey.size;
  }

  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }

  events(): Event[] {
    return [...this.byKey.values()].map((v) => v.event);
  }
}

/** A replica holding exactly `events` (in any order); throws if they do not form a closed history. */
export function rebuild(events: readonly Event[], agent = 'checker'): Doc {
  const doc = new Doc({ agent: agentId(agent) });
  doc.receive(events);
  if (doc.pendingCount !== 0) throw new Error(`${doc.pendingCount} events wait for parents that are not in the set`);
  return doc;
}

/** Every text and map of a replica, as plain data, for deep comparison. */
export function contentOf(doc: Doc): { texts: Record<string, string>; maps: Record<string, Record<string, JsonValue>> } {
  const texts: Record<string, string> = {};
  for (const name of doc.textNames()) if (doc.getText(name) !== '') Object.defineProperty(texts, name, { value: doc.getText(name), enumerable: true });
  const maps: Record<string, Record<string, JsonValue>> = {};
  for (const name of doc.mapNames()) {
    const m: Record<string, JsonValue> = {};
    for (const [k, v] of doc.getMap(name)) Object.defineProperty(m, k, { value: v, enumerable: true });
    if (Object.keys(m).length > 0) Object.defineProperty(maps, name, { value: m, enumerable: true });
  }
  return { texts, maps };
}

/** Server-sent texts and maps (an OT-mode `session_joined`) in the form contentOf returns. */
export function normalizeContent(
  content: { readonly [text: string]: string } | undefined,
  maps: { readonly [map: string]: { readonly [key: string]: JsonValue } } | undefined,
): { texts: Record<string, string>; maps: Record<string, Record<string, JsonValue>> } {
  const texts: Record<string, string> = {};
  for (const [name, text] of Object.entries(content ?? {})) if (text !== '') Object.defineProperty(texts, name, { value: text, enumerable: true });
  const outMaps: Record<string, Record<string, JsonValue>> = {};
  for (const [name, m] of Object.entries(maps ?? {})) {
    if (Object.keys(m).length === 0) continue;
    const copy: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(m)) Object.defineProperty(copy, k, { value: v, enumerable: true });
    Object.defineProperty(outMaps, name, { value: copy, enumerable: true });
  }
  return { texts, maps: outMaps };
}
