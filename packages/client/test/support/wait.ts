/**
 * Waiting in tests: for a condition with a deadline (never a fixed sleep that hopes the work is
 * done), and for an emitter's event. A failed wait names what it waited for and what it saw.
 */

export interface WaitOptions {
  /** Deadline in ms (default 10 000). */
  readonly timeoutMs?: number;
  /** How often the condition is checked, ms (default 10). */
  readonly everyMs?: number;
  /** Describes the state at the deadline for the error message. */
  readonly describe?: () => string;
}

/** Resolves once `condition()` is true; rejects at the deadline. */
export function waitUntil(what: string, condition: () => boolean, options: WaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const everyMs = options.everyMs ?? 10;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      let ok = false;
      try {
        ok = condition();
      } catch (err) {
        reject(err);
        return;
      }
      if (ok) {
        resolve();
        return;
      }
      if (performance.now() - started >= timeoutMs) {
        const state = options.describe?.();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state !== undefined ? `: ${state}` : ''}`));
        return;
      }
      setTimeout(check, everyMs);
    };
    check();
  });
}

/**
 * A pause that shapes a scenario (the gap between two simulated keystrokes), not a wait for
 * something to happen: the test never depends on work finishing within it.
 */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
