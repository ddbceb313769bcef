/**
 * The convergence fuzz soak (`npm run fuzz`): runs the multi-replica simulation of the convergence test
 * with larger histories for a while (default 10 minutes), printing progress and the seed. Exits 1 on
 * the first failing history, naming its seed; rerun it alone with `--seed <that seed> --count 1`.
 *
 *   node packages/core/dist/test/soak/fuzz-soak.js [--seconds N] [--seed S] [--count N]
 */
import { parseArgs } from 'node:util';
import { Rng, testSeed } from '../support/random.js';
import { historySeed, runHistory, type SimOptions } from '../support/simulation.js';

function nonNegativeInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

function main(): number {
  const { values } = parseArgs({
    options: { seconds: { type: 'string' }, seed: { type: 'string' }, count: { type: 'string' } },
  });
  const seconds = nonNegativeInt('seconds', values.seconds, 600);
  const base = values.seed === undefined ? testSeed() : nonNegativeInt('seed', values.seed, 0) >>> 0;
  const count = nonNegativeInt('count', values.count, Infinity);
  console.log(`fuzz soak: seed ${base}, ${seconds} s${count === Infinity ? '' : `, at most ${count} histories`}`);

  const start = Date.now();
  let lastReport = start;
  let events = 0;
  let i = 0;
  for (; i < count && Date.now() - start < seconds * 1000; i++) {
    const seed = historySeed(base, i);
    const rng = new Rng(seed);
    // Mostly medium histories, with some long ones where deep concurrency builds up.
    const opts: SimOptions = rng.bool(0.1)
      ? { agents: [3, 8], steps: rng.range(200, 600), maxInsert: 12 }
      : { agents: [3, 8], steps: rng.range(20, 150), maxInsert: 6 };
    try {
      events += runHistory(rng, opts).events;
    } catch (e) {
      console.error(`\nFAILED: history ${i} with seed ${seed} (${opts.steps} steps)`);
      console.error(`rerun: node packages/core/dist/test/soak/fuzz-soak.js --seed ${seed} --count 1`);
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      return 1;
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      console.log(`  ${Math.round((lastReport - start) / 1000)} s: ${i + 1} histories, ${events} events, all converged`);
    }
  }
  console.log(`fuzz soak passed: ${i} histories, ${events} events in ${Math.round((Date.now() - start) / 1000)} s (seed ${base})`);
  return 0;
}

if (process.env['NODE_TEST_CONTEXT'] !== undefined) {
  // `node --test packages/core/dist/test/` runs every file under test/, this one too: the soak is not
  // a unit test, so under the test runner it only reports itself as skipped.
  const { test } = await import('node:test');
  test('fuzz soak', { skip: 'long-running: run it with npm run fuzz' }, () => {});
} else {
  process.exitCode = main();
}
