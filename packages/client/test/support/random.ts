/**
 * Seeded pseudo-random numbers for the client tests (mulberry32), so every random run prints the
 * seed that reproduces it. `TANDEM_SEED` in the environment overrides the seed of every seeded test.
 */

export class Rng {
  private state: number;
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.state = this.seed;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty array');
    return xs[this.int(xs.length)] as T;
  }

  /** A generator for code that takes `() => number` (backoff jitter): its own stream, derived from this one. */
  fork(): () => number {
    const child = new Rng(this.int(2 ** 32));
    return () => child.next();
  }
}

/** The seed of a test run: `TANDEM_SEED` when set, else a fresh random one; printed either way. */
export function testSeed(name: string): number {
  const env = process.env['TANDEM_SEED'];
  let seed: number;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`TANDEM_SEED must be an integer, got ${env}`);
    seed = n >>> 0;
  } else {
    seed = Math.floor(Math.random() * 2 ** 32) >>> 0;
  }
  console.log(`# ${name}: seed ${seed} (rerun with TANDEM_SEED=${seed})`);
  return seed;
}
