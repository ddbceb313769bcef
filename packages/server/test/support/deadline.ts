/**
 * Deadlines for waits in integration tests: a wait that never ends fails with a message saying
 * what was awaited, instead of hanging the run. Never used to sleep.
 */

/** Resolves as `promise` does, or rejects once `ms` have passed without it settling. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`deadline of ${ms} ms passed waiting for ${what}`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * Re-checks `condition` each time `tick` fires an event (never on a timer of its own) until it holds
 * or the deadline passes. `subscribe` registers a listener and returns its removal.
 */
export function untilEvent(subscribe: (listener: () => void) => () => void, condition: () => boolean, ms: number, what: string): Promise<void> {
  if (condition()) return Promise.resolve();
  let unsubscribe: (() => void) | undefined;
  const done = new Promise<void>((resolve) => {
    unsubscribe = subscribe(() => {
      if (condition()) resolve();
    });
  });
  return withDeadline(done, ms, what).finally(() => unsubscribe?.());
}
