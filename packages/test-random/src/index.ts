/**
 * Seeded pseudo-random numbers for Tandem's tests (mulberry32), so every random test can print the
 * seed that reproduces it, and the seed convention they share: `TANDEM_SEED` in the environment fixes
 * the seed of every seeded test. Each package's test support builds its own `withSeed` on these.
 */

export class Rng {
  readonly seed: number;
  private state: number;

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

  /** Shuffles `xs` in place (Fisher–Yates) and returns it. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i] as T;
      xs[i] = xs[j] as T;
      xs[j] = t;
    }
    return xs;
  }

  /** Random text mixing ASCII, accents and astral emoji (surrogate pairs), `n` code points long. */
  text(n: number): string {
    const alphabet = ['a', 'b', 'c', 'x', 'y', 'z', ' ', '\n', 'é', 'ß', '😀', '👍', '𝄞'];
    let s = '';
    for (let i = 0; i < n; i++) s += this.pick(alphabet);
    return s;
  }

  /** A generator for code that takes `() => number` (backoff jitter): its own stream, derived from this one. */
  fork(): () => number {
    const child = new Rng(this.int(2 ** 32));
    return () => child.next();
  }
}

/** The seed of a test run: `TANDEM_SEED` when set, else a fresh random one. */
export function seedFromEnv(): number {
  const env = process.env['TANDEM_SEED'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`TANDEM_SEED must be an integer, got ${env}`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}
