/**
 * LastSeenBook owns a room's memory of members who are not connected: when each was last seen
 * (loaded from storage, then updated as members leave), and the debounced writes of last-seen
 * times back to storage. Writes are fire-and-forget: presence must never wait on a database, and a
 * failed write only makes "last seen" a little older, so it is reported, not retried.
 */
import type { PersistedMember, TouchLastSeen } from './types.js';

export interface RememberedMember {
  readonly lastSeen: number;
  readonly name: string | undefined;
  readonly color: string | undefined;
}

/** The debounce state the book needs from a live user. */
export interface TouchTarget {
  readonly id: string;
  lastTouchAt: number;
}

export interface LastSeenBookOptions {
  readonly touch: TouchLastSeen | undefined;
  readonly touchIntervalMs: number;
  readonly maxRemembered: number;
  readonly onError: (error: unknown) => void;
}

export class LastSeenBook {
  /** Insertion order is age order (oldest first), so eviction drops the longest-unseen member. */
  private readonly remembered = new Map<string, RememberedMember>();

  constructor(
    private readonly options: LastSeenBookOptions,
    persisted: readonly PersistedMember[],
  ) {
    const oldestFirst = persisted.filter((m) => Number.isFinite(m.lastSeen)).sort((a, b) => a.lastSeen - b.lastSeen);
    for (const m of oldestFirst) this.remember(m.userId, m.lastSeen, m.name, m.color);
  }

  /** Records that `userId` was last seen at `lastSeen` (never moving it back in time). */
  remember(userId: string, lastSeen: number, name: string | undefined, color: string | undefined): void {
    const prev = this.remembered.get(userId);
    this.remembered.delete(userId);
    this.remembered.set(userId, {
      lastSeen: prev === undefined ? lastSeen : Math.max(prev.lastSeen, lastSeen),
      name: name ?? prev?.name,
      color: color ?? prev?.color,
    });
    if (this.remembered.size > this.options.maxRemembered) {
      const oldest = this.remembered.keys().next();
      if (oldest.done !== true) this.remembered.delete(oldest.value);
    }
  }

  get(userId: string): RememberedMember | undefined {
    return this.remembered.get(userId);
  }

  entries(): IterableIterator<[string, RememberedMember]> {
    return this.remembered.entries();
  }

  /**
   * Persists `at` for the user unless a write went out less than the interval ago; `force` (a
   * leave) always writes, because it is the moment "last seen" is about.
   */
  touch(target: TouchTarget, at: number, force: boolean): void {
    const write = this.options.touch;
    if (write === undefined) return;
    if (!force && at - target.lastTouchAt < this.options.touchIntervalMs) return;
    target.lastTouchAt = at;
    try {
      write(target.id, at).catch(this.options.onError);
    } catch (error) {
      // A synchronous throw from the storage adapter is as non-fatal as a rejection.
      this.options.onError(error);
    }
  }
}
