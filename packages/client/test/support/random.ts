/**
 * The client tests' seeded randomness: the shared mulberry32 `Rng` of @tandem/test-random, and
 * `testSeed`, which prints every run's seed (`TANDEM_SEED` fixes it).
 */

import { Rng, seedFromEnv } from '@tandem/test-random';

export { Rng };

/** The seed of a test run: `TANDEM_SEED` when set, else a fresh random one; printed either way. */
export function testSeed(name: string): number {
  const seed = seedFromEnv();
  console.log(`# ${name}: seed ${seed} (rerun with TANDEM_SEED=${seed})`);
  return seed;
}
