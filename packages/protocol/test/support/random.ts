/**
 * The protocol tests' seeded randomness: the shared mulberry32 `Rng` and TANDEM_SEED convention of
 * @tandem/test-random, and `withSeed`, which names the seed in any failure.
 */

import { Rng, seedFromEnv } from '@tandem/test-random';

export { Rng };

/** The seed for this run: `TANDEM_SEED` when set, else a fresh one. */
export const runSeed = seedFromEnv;

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
