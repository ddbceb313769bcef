/**
 * The `core` subcommand: parses its flags, runs the core benchmark, prints the Markdown table to
 * stdout, writes the JSON and Markdown result files, and fails (exit code 1) on any wrong final text
 * or error.
 */
import { parseLibraryList } from './adapters/adapter-registry.js';
import { LIBRARY_IDS, LIBRARY_PACKAGES } from './adapters/core-bench-adapter.js';
import { runCoreBench } from './core-bench.js';
import type { CoreBenchOptions, CoreBenchReport } from './core-results.js';
import { defaultTracePaths, resolveTracePath } from './trace-file.js';
import { machineInfo } from '../machine-info.js';
import { progress } from '../progress-log.js';
import { failuresSection, writeReportFiles } from '../report/results-file.js';
import { resultsTable, tableNotes } from '../report/table.js';

export const CORE_USAGE = `core [--trace FILE]... [--runs N] [--quick] [--libs LIST]
    Compares Tandem, Yjs and Automerge on editing traces: apply local, merge from scratch, load,
    encoded size and memory of a loaded document.
    --trace FILE  a trace in the editing-traces format (gzip or plain JSON, sequential or concurrent),
                  or synthetic-relay-10 (10 agents typing at once behind a relay, generated);
                  repeatable; default: automerge-paper, seph-blog1, friendsforever_flat, friendsforever,
                  synthetic-relay-10
    --runs N      timed runs per measurement, after one warm-up run (default 5)
    --quick       one timed run and no warm-up (a smoke test, not a measurement)
    --libs LIST   comma-separated subset of ${LIBRARY_IDS.join(',')} (default: all)`;

/** Thrown for bad command-line arguments (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function positiveInteger(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 1) throw new UsageError(`${flag} needs a positive integer`);
  return n;
}

export function parseCoreArgs(args: readonly string[]): CoreBenchOptions {
  const traceArgs: string[] = [];
  let runs: number | undefined;
  let quick = false;
  let libraries = [...LIBRARY_IDS];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case '--trace': {
        const file = value();
        if (file === undefined) throw new UsageError('--trace needs a file');
        traceArgs.push(file);
        break;
      }
      case '--runs':
        runs = positiveInteger('--runs', value());
        break;
      case '--quick':
        quick = true;
        break;
      case '--libs':
        try {
          libraries = parseLibraryList(value() ?? '');
        } catch (error) {
          throw new UsageError(error instanceof Error ? error.message : String(error));
        }
        break;
      default:
        throw new UsageError(`unknown argument for core: ${arg}`);
    }
  }
  let tracePaths: string[];
  try {
    tracePaths = traceArgs.length > 0 ? traceArgs.map(resolveTracePath) : defaultTracePaths();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  return { tracePaths, runs: runs ?? (quick ? 1 : 5), warmup: !quick, libraries };
}

/** Runs the benchmark; returns the process exit code. */
export async function runCoreCommand(options: CoreBenchOptions): Promise<number> {
  const startedAt = new Date().toISOString();
  const machine = machineInfo(options.libraries.map((id) => LIBRARY_PACKAGES[id]));
  const { traces, failures } = await runCoreBench(options);
  const report: CoreBenchReport = { benchmark: 'core', startedAt, finishedAt: new Date().toISOString(), options, machine, traces, failures };

  process.stdout.write(`\n${resultsTable(traces, options.libraries)}\n\n${tableNotes(traces, options.runs, options.warmup)}\n`);
  const files = writeReportFiles(report);
  progress(`results written to ${files.json} and ${files.markdown}`);
  if (failures.length > 0) {
    process.stderr.write(`\nCORRECTNESS FAILURES:\n${failuresSection(report)}\n`);
    return 1;
  }
  return 0;
}
