/**
 * A single restartable timer: the one pattern behind backoff waits, heartbeats, throttles and
 * debounced saves. Holding the handle here means an owner can always cancel what it scheduled, so
 * closing a client leaves no timer behind to keep a Node process alive.
 */

export class Timer {
  private handle: ReturnType<typeof setTimeout> | undefined;

  /** True while a callback is scheduled. */
  get pending(): boolean {
    return this.handle !== undefined;
  }

  /** Schedules `fn` in `ms`, replacing whatever was scheduled. */
  set(ms: number, fn: () => void): void {
    this.clear();
    this.handle = setTimeout(() => {
      this.handle = undefined;
      fn();
    }, Math.max(0, ms));
  }

  /** Schedules `fn` in `ms` unless something is already scheduled. */
  ensure(ms: number, fn: () => void): void {
    if (this.handle === undefined) this.set(ms, fn);
  }

  clear(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}
