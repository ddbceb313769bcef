/**
 * PendingEvents owns the events a document holds back because something they depend on (a parent, or
 * the same agent's previous event) has not arrived yet. Each waits under the key of the first missing
 * dependency and is retried when that event is accepted. Bounded: a replica cannot be made to buffer
 * without limit.
 */
import type { Event } from './event.js';
import type { EventId } from './ids.js';

export function idKey(id: EventId): string {
  return `${id.seq}\u0000${id.agent}`;
}

export class PendingEvents {
  private readonly waiting = new Map<string, Event[]>();
  private readonly held = new Map<string, Event>();

  get size(): number {
    return this.held.size;
  }

  has(id: EventId): boolean {
    return this.held.has(idKey(id));
  }

  get(id: EventId): Event | undefined {
    return this.held.get(idKey(id));
  }

  /** Holds `e` until `missing` is accepted. */
  hold(e: Event, missing: EventId): void {
    const key = idKey(e.id);
    if (this.held.has(key)) return;
    this.held.set(key, e);
    const k = idKey(missing);
    const list = this.waiting.get(k);
    if (list === undefined) this.waiting.set(k, [e]);
    else list.push(e);
  }

  /** Removes and returns the events waiting for `id`. */
  release(id: EventId): Event[] {
    const k = idKey(id);
    const list = this.waiting.get(k);
    if (list === undefined) return [];
    this.waiting.delete(k);
    for (const e of list) this.held.delete(idKey(e.id));
    return list;
  }

  /** Everything held, for error messages and snapshots of the buffer. */
  all(): Event[] {
    return [...this.held.values()];
  }

  /** A copy, so a failed batch can put the buffer back as it was. */
  clone(): PendingEvents {
    const c = new PendingEvents();
    for (const [k, list] of this.waiting) c.waiting.set(k, list.slice());
    for (const [k, e] of this.held) c.held.set(k, e);
    return c;
  }
}
