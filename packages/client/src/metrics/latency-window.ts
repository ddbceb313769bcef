/**
 * LatencyWindow keeps the most recent latency samples (a fixed-size ring) and answers percentile
 * questions about them. A window rather than a lifetime histogram, because what an app shows ("the
 * connection is slow") should reflect the last minutes, not a morning on good Wi-Fi.
 */

/** Percentiles of a set of samples, in milliseconds; undefined without samples. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly p99: number | undefined;
  readonly max: number | undefined;
}

export class LatencyWindow {
  private readonly ring: number[] = [];
  private next = 0;
  private total = 0;

  constructor(private readonly capacity = 1024) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.total++;
    if (this.ring.length < this.capacity) this.ring.push(ms);
    else this.ring[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Samples recorded since creation (not only those still in the window). */
  get recorded(): number {
    return this.total;
  }

  /** A copy of the samples in the window, oldest first not guaranteed. */
  samples(): number[] {
    return [...this.ring];
  }

  summary(): LatencySummary {
    return summarize(this.ring);
  }
}

/** Nearest-rank percentiles of `samples`. */
export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { count: 0, p50: undefined, p95: undefined, p99: undefined, max: undefined };
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  return { count: sorted.length, p50: rank(0.5), p95: rank(0.95), p99: rank(0.99), max: sorted[sorted.length - 1]! };
}
