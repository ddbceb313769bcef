/**
 * Seeded randomness for the protocol tests (mulberry32), so a failing random test reports the seed
 * that reproduces it. `TANDEM_SEED` in the environment fixes the seed of every run.
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

  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[this.int(xs.length)] as T;
  }
}

/** The seed for this run: `TANDEM_SEED` when set, else a fresh one. */
export function runSeed(): number {
  const env = process.env['TANDEM_SEED'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`TANDEM_SEED must be an integer, got ${env}`);
    return n >>> 0;
  }
  return (Math.random() * 2 ** 32) >>> 0;
}

/** Runs `body` with a seeded Rng; a failure is rethrown with the seed and how to replay it. */
export function withSeed(name: string, body: (rng: Rng) => void): void {
  const rng = new Rng(runSeed());
  try {
    body(rng);
  } catch (e) {
    const why = e instanceof Error ? (e.stack ?? e.message) : String(e);
    throw new Error(`${name} failed with seed ${rng.seed} (replay: TANDEM_SEED=${rng.seed})\n${why}`);
  }
}
