/**
 * The `server` subcommand: its flags, the loop over scenarios × systems × offered loads (stepping up
 * until p99 passes the threshold), the client-side rows, and the outputs (Markdown table on stdout,
 * JSON and Markdown under bench/results, progress on stderr).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isSystemId, SYSTEM_IDS, SYSTEM_LABELS } from '../load/load-driver.js';
import type { SystemId } from '../load/load-driver.js';
import { machineInfo } from '../machine-info.js';
import { progress } from '../progress-log.js';
import { fileTimestamp, resultsDir } from '../report/results-file.js';
import { formatDuration } from '../report/units.js';
import { measureClientRows } from './client-rows.js';
import { measuredRun } from './measured-run.js';
import { FULL, P99_THRESHOLD_MS, QUICK } from './scenarios.js';
import type { Matrix, Scenario } from './scenarios.js';
import type { Capacity, LoadRunResult, ServerBenchReport } from './server-results.js';
import { serverTable, serverNotes, writeServerReport } from './server-report.js';

export const SERVER_USAGE = `server [--full] [--systems tandem,yjs,sharedb] [--scenario ID] [--rates N,N]
         [--duration S] [--drain S] [--seed N] [--profile] [--no-client-rows]
    Tandem's server against y-websocket and ShareDB servers under load (child processes on
    127.0.0.1). Quick matrix by default (a few minutes); --full runs the issue's matrix. --scenario
    picks one scenario (1x10, 1x100, 100x5; full: 1x10, 1x100, 1x1000, 1000x5); --profile writes a CPU
    profile of each Tandem server to bench/results/profiles-<time>/.`;

export class ServerUsageError extends Error {}

export interface ServerOptions {
  readonly matrix: Matrix;
  readonly systems: readonly SystemId[];
  readonly scenario?: string;
  readonly rates?: readonly number[];
  readonly seed: number;
  readonly profile: boolean;
  readonly clientRows: boolean;
}

export function parseServerArgs(args: readonly string[]): ServerOptions {
  let full = false;
  let systems: SystemId[] = [...SYSTEM_IDS];
  let scenario: string | undefined;
  let rates: number[] | undefined;
  let durationS: number | undefined;
  let drainS: number | undefined;
  let seed = 1;
  let profile = false;
  let clientRows = true;
  const positive = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n <= 0) throw new ServerUsageError(`${flag} needs a positive number`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    switch (arg) {
      case '--full':
        full = true;
        break;
      case '--profile':
        profile = true;
        break;
      case '--no-client-rows':
        clientRows = false;
        break;
      case '--systems': {
        const list = (args[++i] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
        const bad = list.find((s) => !isSystemId(s));
        if (list.length === 0 || bad !== undefined) throw new ServerUsageError(`--systems takes a list of ${SYSTEM_IDS.join(', ')}${bad !== undefined ? ` (unknown: ${bad})` : ''}`);
        systems = list.filter(isSystemId);
        break;
      }
      case '--scenario':
        scenario = args[++i];
        if (scenario === undefined) throw new ServerUsageError('--scenario needs an id');
        break;
      case '--rates':
        rates = (args[++i] ?? '').split(',').map((s) => positive('--rates', s));
        break;
      case '--duration':
        durationS = positive('--duration', args[++i]);
        break;
      case '--drain':
        drainS = Number(args[++i]);
        if (!Number.isFinite(drainS) || drainS < 0) throw new ServerUsageError('--drain needs a number of seconds');
        break;
      case '--seed':
        seed = Math.floor(positive('--seed', args[++i]));
        break;
      default:
        throw new ServerUsageError(`unknown server flag: ${arg}`);
    }
  }
  const base = full ? FULL : QUICK;
  const matrix: Matrix = {
    ...base,
    ...(durationS !== undefined ? { durationMs: durationS * 1000 } : {}),
    ...(drainS !== undefined ? { drainMs: drainS * 1000 } : {}),
  };
  if (scenario !== undefined && !matrix.scenarios.some((s) => s.id === scenario)) {
    throw new ServerUsageError(`unknown scenario ${scenario}: ${matrix.name} has ${matrix.scenarios.map((s) => s.id).join(', ')}`);
  }
  return { matrix, systems, ...(scenario !== undefined ? { scenario } : {}), ...(rates !== undefined ? { rates } : {}), seed, profile, clientRows };
}

function describe(run: LoadRunResult): string {
  const f = run.figures;
  if (f === undefined) return run.error ?? run.skipped ?? 'no figures';
  const errors = Object.values(f.errors).reduce((a, b) => a + b, 0);
  const ms = (v: number): string => (Number.isFinite(v) ? formatDuration(v) : '–');
  return `achieved ${Math.round(f.achievedRate)}/s, p50 ${ms(f.p50Ms)} p95 ${ms(f.p95Ms)} p99 ${ms(f.p99Ms)}, server CPU ${f.serverCpuPercent?.toFixed(0) ?? '?'} %, clients CPU ${f.clientCpuPercent.toFixed(0)} %${errors > 0 ? `, ${errors} errors` : ''}${f.undelivered > 0 ? `, ${f.undelivered} undelivered` : ''}`;
}

/** A run whose achieved rate is below this share of the offered one is saturated: higher loads are skipped. */
const SATURATED = 0.9;

async function runScenario(scenario: Scenario, system: SystemId, options: ServerOptions, profileDir: string | undefined, runs: LoadRunResult[]): Promise<Capacity> {
  const rates = options.rates ?? scenario.rates;
  let best: number | undefined;
  let passedAt: number | undefined;
  let stopReason: string | undefined;
  for (const rate of rates) {
    if (stopReason !== undefined) {
      runs.push({ scenario: scenario.id, system, offeredRate: rate, clients: scenario.docs * scenario.clientsPerDoc, docs: scenario.docs, durationMs: options.matrix.durationMs, skipped: stopReason });
      continue;
    }
    progress(`${scenario.label} · ${SYSTEM_LABELS[system]} · ${rate.toLocaleString('en-US')} edits/s offered`);
    const run = await measuredRun(scenario, system, rate, {
      durationMs: options.matrix.durationMs,
      drainMs: options.matrix.drainMs,
      seed: options.seed,
      ...(profileDir !== undefined && system === 'tandem' ? { cpuProfDir: profileDir } : {}),
      onProgress: (p) => progress(`    ${Math.round(p.totals.elapsedMs / 1000)} s: achieved ${Math.round(p.deliveredRate)}/s, p99 so far ${p.totals.histogram.percentile(0.99).toFixed(1)} ms`),
    });
    progress(`  → ${describe(run)}`);
    runs.push(run);
    const f = run.figures;
    const withinThreshold = f !== undefined && f.p99Ms <= P99_THRESHOLD_MS && f.undelivered === 0;
    if (withinThreshold) best = Math.max(best ?? 0, f.achievedRate);
    else passedAt ??= rate;
    const at = `${rate.toLocaleString('en-US')}/s offered`;
    if (f === undefined) stopReason = `failed at ${at}`;
    else if (f.achievedRate < SATURATED * rate) stopReason = `saturated at ${at}`;
    else if (passedAt !== undefined && options.matrix.name === 'full') stopReason = `p99 passed ${P99_THRESHOLD_MS} ms at ${at}`;
  }
  return { scenario: scenario.id, system, ...(best !== undefined ? { bestRateWithinThreshold: best } : {}), ...(passedAt !== undefined ? { passedAtOffered: passedAt } : {}) };
}

export async function runServerCommand(options: ServerOptions): Promise<number> {
  const startedAt = new Date().toISOString();
  const machine = machineInfo(['yjs', '@y/websocket-server', 'y-protocols', 'sharedb', 'ot-text-unicode', '@teamwork/websocket-json-stream', 'ws']);
  const profileDir = options.profile ? join(resultsDir(), `profiles-${fileTimestamp(startedAt)}`) : undefined;
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const report: ServerBenchReport = {
    kind: 'server',
    startedAt,
    finishedAt: startedAt,
    machine,
    options: { matrix: options.matrix.name, systems: options.systems, durationMs: options.matrix.durationMs, drainMs: options.matrix.drainMs, seed: options.seed },
    runs: [],
    capacity: [],
    clientRows: [],
    notes: [],
  };
  progress(`server benchmark (${options.matrix.name}): ${options.systems.map((s) => SYSTEM_LABELS[s]).join(', ')}; load average ${machine.loadAverage.join(' / ')}`);
  const scenarios = options.matrix.scenarios.filter((s) => options.scenario === undefined || s.id === options.scenario);
  for (const scenario of scenarios) {
    for (const system of options.systems) report.capacity.push(await runScenario(scenario, system, options, profileDir, report.runs));
  }
  if (options.clientRows) {
    progress('client-side rows');
    report.clientRows.push(...(await measureClientRows(options.systems, options.matrix.name)));
  }
  report.finishedAt = new Date().toISOString();
  report.notes.push(...serverNotes(report));
  if (profileDir !== undefined) report.notes.push(`CPU profiles of the Tandem servers: ${profileDir}`);
  const table = serverTable(report);
  process.stdout.write(`${table}\n\n${report.notes.map((n) => `- ${n}`).join('\n')}\n`);
  const files = writeServerReport(report);
  progress(`results: ${files.json}\n         ${files.markdown}`);
  const failed = report.runs.some((r) => r.error !== undefined);
  return failed ? 1 : 0;
}
