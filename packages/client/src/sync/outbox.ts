/**
 * Outbox owns the events this replica holds that the server has not confirmed, in the order they
 * were applied here (a topological order, so any prefix can be sent without MISSING_PARENTS). It
 * cuts them into `operation` batches within the server's limits, remembers which batch is in
 * flight, and forgets events once the server acknowledged them or echoed them back. After a lost
 * connection every unconfirmed event is simply sent again: the server deduplicates by event id.
 */
import type { Event } from '@tandem/core';
import { utf8Length } from '@tandem/protocol';

/**
 * Where an unconfirmed event came from. `local`: an edit made here. `restored`: loaded from the
 * offline store after a restart. `tab`: made by another tab of this browser, which normally sends
 * it itself; this tab sends it too only when it must (see `takeBatch`).
 */
export type OutboxSource = 'local' | 'restored' | 'tab';

export interface OutboxEntry {
  readonly event: Event;
  readonly key: string;
  /** Size of the event as JSON, for the message byte limit. */
  readonly bytes: number;
  readonly source: OutboxSource;
  /** Monotonic time the entry was added (edit time for `local`). */
  readonly addedAt: number;
  /** The operationId of the batch carrying it, while one is in flight. */
  inFlight: string | undefined;
}

/** A batch to send, or why nothing can be sent now. */
export type BatchResult =
  | { readonly kind: 'batch'; readonly entries: readonly OutboxEntry[] }
  | { readonly kind: 'empty' }
  /** Only young `tab` events are waiting: look again at `retryAt` (monotonic ms). */
  | { readonly kind: 'wait'; readonly retryAt: number }
  /** The oldest event alone is larger than a message may be. */
  | { readonly kind: 'too_big'; readonly entry: OutboxEntry };

export interface BatchLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
  /** How long another tab's event is left for that tab to send. */
  readonly tabGraceMs: number;
  /**
   * An entry that may not be sent yet (it depends on a peer's event the server has not
   * confirmed): the batch ends before it. Absent: nothing is held.
   */
  readonly held?: (entry: OutboxEntry) => boolean;
}

/** Room left in a message for everything but the events (type, docId, operationId, brackets). */
const MESSAGE_OVERHEAD_BYTES = 1024;

/** The key of an event id: seq first so the key is unambiguous whatever the agent holds. */
export function eventKey(id: Event['id']): string {
  return `${id.seq}:${id.agent}`;
}

export class Outbox {
  // A Map keeps insertion order and deletes from the middle in O(1): confirmations arrive in any order.
  private readonly entries = new Map<string, OutboxEntry>();

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Adds an event unless it is already waiting; returns whether it was added. */
  add(event: Event, source: OutboxSource, at: number): boolean {
    const key = eventKey(event.id);
    if (this.entries.has(key)) return false;
    this.entries.set(key, { event, key, bytes: utf8Length(JSON.stringify(event)), source, addedAt: at, inFlight: undefined });
    return true;
  }

  /** Every waiting event, oldest first. */
  events(): Event[] {
    return [...this.entries.values()].map((e) => e.event);
  }

  /** Every waiting entry, oldest first. */
  all(): OutboxEntry[] {
    return [...this.entries.values()];
  }

  /**
   * The next batch: the longest prefix within the limits that ends on an event this tab should
   * send. Another tab's event is included when something of ours after it depends on it (it is in
   * the prefix), or once it has waited `tabGraceMs` (its tab may have closed before sending it).
   */
  takeBatch(limits: BatchLimits, now: number, operationId: string): BatchResult {
    if (this.entries.size === 0) return { kind: 'empty' };
    const maxBytes = Math.max(1, limits.maxBytes - MESSAGE_OVERHEAD_BYTES);
    const prefix: OutboxEntry[] = [];
    let bytes = 0;
    let end = 0;
    let retryAt = Number.POSITIVE_INFINITY;
    let held = false;
    for (const entry of this.entries.values()) {
      if (entry.inFlight !== undefined) continue;
      if (limits.held !== undefined && limits.held(entry)) {
        held = true;
        break;
      }
      if (prefix.length >= limits.maxEvents || bytes + entry.bytes + 1 > maxBytes) break;
      prefix.push(entry);
      bytes += entry.bytes + 1;
      const dueAt = entry.source === 'tab' ? entry.addedAt + limits.tabGraceMs : now;
      if (dueAt <= now) end = prefix.length;
      else retryAt = Math.min(retryAt, dueAt);
    }
    if (prefix.length === 0) {
      if (held) return { kind: 'empty' };
      const first = this.entries.values().next().value;
      if (first !== undefined && first.inFlight === undefined) return { kind: 'too_big', entry: first };
      return { kind: 'empty' };
    }
    if (end === 0) return { kind: 'wait', retryAt };
    const batch = prefix.slice(0, end);
    for (const entry of batch) entry.inFlight = operationId;
    return { kind: 'batch', entries: batch };
  }

  /** The server acknowledged `operationId`: its events are stored. Returns them. */
  acknowledge(operationId: string): OutboxEntry[] {
    const done: OutboxEntry[] = [];
    for (const entry of this.entries.values()) {
      if (entry.inFlight === operationId) done.push(entry);
    }
    for (const entry of done) this.entries.delete(entry.key);
    return done;
  }

  /** Events the server sent us are on the server: forget them. Returns how many were waiting. */
  confirm(events: readonly Event[]): number {
    let n = 0;
    for (const e of events) if (this.entries.delete(eventKey(e.id))) n++;
    return n;
  }

  /** The batch in flight was lost (connection down, refused): everything waits to be sent again. */
  requeue(): void {
    for (const entry of this.entries.values()) entry.inFlight = undefined;
  }

  /** Replaces the contents with `events` (in order), keeping what is known of entries already here. */
  rebuild(events: readonly Event[], at: number): void {
    const old = new Map(this.entries);
    this.entries.clear();
    for (const event of events) {
      const key = eventKey(event.id);
      const kept = old.get(key);
      if (kept !== undefined) this.entries.set(key, { ...kept, inFlight: undefined });
      else this.add(event, 'restored', at);
    }
  }
}
