/**
 * Makes sure the benchmark runs with `--expose-gc` (needed for GC between timed runs and for memory
 * measurements): when `gc` is missing, runs this same script again in a child Node process with the
 * flag, and reports the child's exit code.
 */
import { spawnSync } from 'node:child_process';

const RELAUNCH_MARKER = 'TANDEM_BENCH_RELAUNCHED_WITH_GC';

/**
 * Returns undefined when `gc` is available (carry on in this process); otherwise runs the script again
 * with `--expose-gc` and returns the exit code to end this process with.
 */
export function relaunchWithExposedGcIfNeeded(): number | undefined {
  if (typeof globalThis.gc === 'function') return undefined;
  if (process.env[RELAUNCH_MARKER] === '1') throw new Error('relaunched with --expose-gc, but gc is still not available');
  const script = process.argv[1];
  if (script === undefined) throw new Error('cannot find the script path to relaunch');
  const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [RELAUNCH_MARKER]: '1' },
  });
  if (child.error !== undefined) throw child.error;
  return child.status ?? 1;
}
