/**
 * Timing of one benchmark cell: an optional warm-up run, then N timed runs with a full garbage
 * collection before each; reports the median and the spread (min–max) of the runs.
 */

export interface TimingStats {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Every timed run, in run order. */
  readonly samplesMs: readonly number[];
  /** The warm-up run, or null when it was skipped. */
  readonly warmupMs: number | null;
}

export interface TimingOptions {
  readonly runs: number;
  readonly warmup: boolean;
}

export interface TimedRuns<T> {
  readonly stats: TimingStats;
  /** The value of the last timed run (earlier ones were released). */
  readonly last: T;
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/** Collects garbage when the process runs with `--expose-gc`. */
export function collectGarbage(): void {
  globalThis.gc?.();
}

/**
 * Runs `run` (warm-up, then `runs` times), timing each call. `check` validates each result outside the
 * timed region; `release` frees every result but the last. `onRun` reports progress.
 */
export function timeRuns<T>(
  run: () => T,
  options: TimingOptions,
  hooks: { check(value: T): void; release(value: T): void; onRun?(label: string, ms: number): void },
): TimedRuns<T> {
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new RangeError(`runs must be a positive integer, got ${options.runs}`);
  const once = (): { value: T; ms: number } => {
    collectGarbage();
    const start = performance.now();
    const value = run();
    const ms = performance.now() - start;
    return { value, ms };
  };

  let warmupMs: number | null = null;
  if (options.warmup) {
    const warm = once();
    warmupMs = warm.ms;
    try {
      hooks.check(warm.value);
    } finally {
      hooks.release(warm.value);
    }
    hooks.onRun?.('warm-up', warm.ms);
  }

  const samples: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < options.runs; i++) {
    if (last !== undefined) hooks.release(last);
    last = undefined;
    const timed = once();
    samples.push(timed.ms);
    hooks.onRun?.(`run ${i + 1}/${options.runs}`, timed.ms);
    try {
      hooks.check(timed.value);
    } catch (error) {
      hooks.release(timed.value);
      throw error;
    }
    last = timed.value;
  }
  if (last === undefined) throw new Error('no timed run');
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    stats: { medianMs: median(sorted), minMs: sorted[0] ?? Number.NaN, maxMs: sorted[sorted.length - 1] ?? Number.NaN, samplesMs: samples, warmupMs },
    last,
  };
}
