/**
 * Seeded pseudo-random numbers for the storage tests (mulberry32), so a failing random test
 * prints a seed that reproduces it. `TANDEM_SEED` overrides the seed of every seeded test.
 */

export class SeededRandom {
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
  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
}

/** The seed for a run: `TANDEM_SEED` when set, else a fresh random one. */
export function testSeed(): number {
  const env = process.env['TANDEM_SEED'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`TANDEM_SEED must be an integer, got ${env}`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32);
}

/** Runs `body` with a seeded generator and names the seed in any failure. */
export async function withSeed(body: (rng: SeededRandom) => Promise<void>): Promise<void> {
  const rng = new SeededRandom(testSeed());
  try {
    await body(rng);
  } catch (e) {
    if (e instanceof Error) e.message = `${e.message}\n(reproduce with TANDEM_SEED=${rng.seed})`;
    throw e;
  }
}
