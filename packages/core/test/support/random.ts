/**
 * The core tests' seeded randomness: the shared mulberry32 `Rng` and TANDEM_SEED convention of
 * @tandem/test-random, and `withSeed`, which names the seed in any failure.
 */

import { Rng, seedFromEnv } from '@tandem/test-random';

export { Rng };

/** The seed for a test run: `TANDEM_SEED` when set, else a fresh random one. */
export const testSeed = seedFromEnv;

/**
 * Runs `body` with a seeded Rng; on failure, rethrows with the seed in the message so the run can be
 * reproduced with `TANDEM_SEED=<seed>`.
 */
export function withSeed<T>(name: string, body: (rng: Rng) => T, seed: number = testSeed()): T {
  const rng = new Rng(seed);
  try {
    return body(rng);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const err = new Error(`${name} failed with seed ${seed} (rerun with TANDEM_SEED=${seed}): ${msg}`);
    if (e instanceof Error && e.stack !== undefined) err.stack = `${err.message}\n${e.stack}`;
    throw err;
  }
}
