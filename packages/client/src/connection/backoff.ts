/**
 * Reconnect delays: exponential backoff with full jitter ("sleep = random(0, min(cap, base·2^n))").
 * Full jitter is what spreads a crowd out: when a server restarts, hundreds of clients lose it in
 * the same millisecond, and without randomness they would all come back in the same millisecond
 * too, each retry wave as sharp as the first.
 */

export interface BackoffOptions {
  /** Upper bound of the first delay, in ms (default 500). */
  readonly baseMs?: number;
  /** Largest delay, in ms (default 30 000). */
  readonly capMs?: number;
  /** Attempts before giving up (default Infinity: retry forever). */
  readonly maxAttempts?: number;
}

export interface ResolvedBackoff {
  readonly baseMs: number;
  readonly capMs: number;
  readonly maxAttempts: number;
}

export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const baseMs = options.baseMs ?? 500;
  const capMs = options.capMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  if (!(baseMs > 0) || !Number.isFinite(baseMs)) throw new RangeError(`backoff.baseMs must be a positive number, got ${baseMs}`);
  if (!(capMs >= baseMs) || !Number.isFinite(capMs)) throw new RangeError(`backoff.capMs must be a number ≥ baseMs, got ${capMs}`);
  if (!(maxAttempts >= 1)) throw new RangeError(`backoff.maxAttempts must be at least 1, got ${maxAttempts}`);
  return { baseMs, capMs, maxAttempts };
}

/** The delay schedule of one connection; `random` returns [0, 1) (injectable for seeded tests). */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly settings: ResolvedBackoff,
    private readonly random: () => number,
  ) {}

  /** Consecutive failed attempts so far. */
  get attempts(): number {
    return this.failures;
  }

  /** True when the attempt budget is spent. */
  get exhausted(): boolean {
    return this.failures >= this.settings.maxAttempts;
  }

  /** The delay before the next attempt, counting one more failure. */
  next(): number {
    // 2^n overflows to Infinity long after the cap applies; the min keeps it finite.
    const ceiling = Math.min(this.settings.capMs, this.settings.baseMs * 2 ** Math.min(this.failures, 52));
    this.failures++;
    return Math.floor(this.random() * ceiling);
  }

  /** A connection worked: start over from the base delay. */
  reset(): void {
    this.failures = 0;
  }
}
