/**
 * A latency histogram with logarithmic buckets (about 2 % wide, from 10 µs to about 10 minutes):
 * constant memory however many samples it takes, mergeable across processes (the bucket counts are
 * plain arrays), and percentiles accurate to a bucket's width.
 */

const MIN_MS = 0.01;
const GROWTH = 1.02;
const BUCKETS = Math.ceil(Math.log(600_000 / MIN_MS) / Math.log(GROWTH)) + 1;
const LOG_GROWTH = Math.log(GROWTH);

/** The serializable form: counts by bucket index, only the non-empty ones. */
export interface HistogramData {
  readonly counts: readonly (readonly [number, number])[];
  readonly count: number;
  readonly sumMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
}

/** Upper edge of a bucket, in ms. */
function upperEdge(bucket: number): number {
  return MIN_MS * GROWTH ** bucket;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;

  record(ms: number): void {
    const value = ms < 0 ? 0 : ms;
    this.counts[bucketOf(value)]! += 1;
    this.total++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  get count(): number {
    return this.total;
  }

  get meanMs(): number {
    return this.total === 0 ? NaN : this.sum / this.total;
  }

  get minMs(): number {
    return this.total === 0 ? NaN : this.min;
  }

  get maxMs(): number {
    return this.total === 0 ? NaN : this.max;
  }

  /** The value below which a fraction `q` (0..1) of the samples lie: a bucket's upper edge, capped by the maximum. */
  percentile(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperEdge(i), this.max);
    }
    return this.max;
  }

  merge(other: LatencyHistogram | HistogramData): void {
    const data = other instanceof LatencyHistogram ? other.toJSON() : other;
    for (const [bucket, n] of data.counts) this.counts[bucket]! += n;
    this.total += data.count;
    this.sum += data.sumMs;
    if (data.count > 0) {
      this.min = Math.min(this.min, data.minMs);
      this.max = Math.max(this.max, data.maxMs);
    }
  }

  toJSON(): HistogramData {
    const counts: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) counts.push([i, this.counts[i]!]);
    return { counts, count: this.total, sumMs: this.sum, minMs: this.total === 0 ? 0 : this.min, maxMs: this.total === 0 ? 0 : this.max };
  }

  static from(data: HistogramData): LatencyHistogram {
    const h = new LatencyHistogram();
    h.merge(data);
    return h;
  }

  /**
   * Samples grouped into coarse ranges (powers of two from 0.5 ms) for a printed histogram: each
   * range with its count, only from the first to the last non-empty range.
   */
  coarseRanges(): { readonly fromMs: number; readonly toMs: number; readonly count: number }[] {
    const edges = [0];
    for (let e = 0.5; e < 700_000; e *= 2) edges.push(e);
    edges.push(Infinity);
    const ranges = edges.slice(0, -1).map((fromMs, i) => ({ fromMs, toMs: edges[i + 1]!, count: 0 }));
    for (let b = 0; b < BUCKETS; b++) {
      const n = this.counts[b]!;
      if (n === 0) continue;
      // A bucket's samples lie at or below its upper edge; place them by the bucket's middle.
      const middle = b === 0 ? 0 : Math.sqrt(upperEdge(b - 1) * upperEdge(b));
      const range = ranges.find((r) => middle >= r.fromMs && middle < r.toMs);
      if (range !== undefined) range.count += n;
    }
    const first = ranges.findIndex((r) => r.count > 0);
    if (first < 0) return [];
    let last = ranges.length - 1;
    while (ranges[last]!.count === 0) last--;
    return ranges.slice(first, last + 1);
  }
}
