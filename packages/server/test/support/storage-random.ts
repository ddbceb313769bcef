/**
 * The server tests' seeded randomness: the shared mulberry32 generator and TANDEM_SEED convention
 * of @tandem/test-random, and `withSeed`, which names the seed in any failure.
 */

import { Rng as SeededRandom, seedFromEnv } from '@tandem/test-random';

export { SeededRandom };

/** The seed for a run: `TANDEM_SEED` when set, else a fresh random one. */
export const testSeed = seedFromEnv;

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
