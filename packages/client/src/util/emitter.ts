/**
 * Emitter owns the listener lists of one object and calls them. Event names and argument lists are
 * typed by a map, so `on('change', (op, origin) => …)` is checked end to end. A throwing listener
 * never stops the others nor the SDK's own bookkeeping: its error is rethrown on a fresh microtask,
 * where it surfaces like any uncaught error instead of corrupting sync state half-way.
 */

/** Event name → the arguments its listeners receive. */
export type EventMap = { readonly [event: string]: readonly unknown[] };

/** A listener of event `K`. */
export type Listener<E extends EventMap, K extends keyof E> = (...args: E[K]) => void;

export class Emitter<E extends EventMap> {
  // Stored untyped: each set holds listeners of one event, which `on` and `emit` keep consistent.
  private readonly listeners = new Map<keyof E, Set<unknown>>();

  /** Calls `listener` on every `event`; returns the function that unsubscribes it. */
  on<K extends keyof E>(event: K, listener: Listener<E, K>): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Like `on`, for the next `event` only. */
  once<K extends keyof E>(event: K, listener: Listener<E, K>): () => void {
    const off = this.on(event, (...args: E[K]) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<K extends keyof E>(event: K, listener: Listener<E, K>): void {
    this.listeners.get(event)?.delete(listener);
  }

  /** True when someone listens to `event` (lets callers skip building costly arguments). */
  has<K extends keyof E>(event: K): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined || set.size === 0) return;
    for (const listener of [...set] as Listener<E, K>[]) {
      try {
        listener(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  removeAll(): void {
    this.listeners.clear();
  }
}
