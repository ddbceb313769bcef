/**
 * The server benchmark's outputs: the Markdown table (one row per scenario, offered load and metric;
 * one column per system; ratios Tandem/peer), the notes that say what the rows mean, and the
 * `bench/results/server-<timestamp>.json` / `.md` files with the machine's details.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYSTEM_LABELS } from '../load/load-driver.js';
import type { SystemId } from '../load/load-driver.js';
import { fileTimestamp, machineSection, resultsDir } from '../report/results-file.js';
import { formatBytes, formatDuration, formatRatio } from '../report/units.js';
import { FULL, P99_THRESHOLD_MS, QUICK } from './scenarios.js';
import type { Capacity, ClientValue, LoadFigures, LoadRunResult, ServerBenchReport } from './server-results.js';

interface Metric {
  readonly label: string;
  readonly value: (f: LoadFigures) => number | undefined;
  readonly format: (v: number) => string;
}

const rate = (v: number): string => `${Math.round(v).toLocaleString('en-US')}/s`;
const percent = (v: number): string => `${v.toFixed(0)} %`;
const ms = (v: number): string => (Number.isFinite(v) ? formatDuration(v) : '–');

const METRICS: readonly Metric[] = [
  { label: 'achieved throughput', value: (f) => f.achievedRate, format: rate },
  { label: 'latency p50', value: (f) => f.p50Ms, format: ms },
  { label: 'latency p95', value: (f) => f.p95Ms, format: ms },
  { label: 'latency p99', value: (f) => f.p99Ms, format: ms },
  { label: 'server CPU', value: (f) => f.serverCpuPercent, format: percent },
  { label: 'server RSS (peak)', value: (f) => f.serverRssPeak, format: formatBytes },
  { label: 'memory per connection', value: (f) => f.memoryPerConnection, format: formatBytes },
  { label: 'load clients CPU', value: (f) => f.clientCpuPercent, format: percent },
];

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

function problems(f: LoadFigures): string {
  const errors = Object.values(f.errors).reduce((a, b) => a + b, 0);
  const parts = [
    errors > 0 ? `${errors.toLocaleString('en-US')} errors` : '',
    f.undelivered > 0 ? `${f.undelivered.toLocaleString('en-US')} undelivered` : '',
    f.disconnects > 0 ? `${f.disconnects} disconnects` : '',
  ].filter((s) => s !== '');
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function cell(run: LoadRunResult | undefined, metric: Metric, first: boolean): string {
  if (run === undefined) return '–';
  if (run.skipped !== undefined) return first ? `skipped (${run.skipped})` : 'skipped';
  if (run.figures === undefined) return '**FAILED**';
  const v = metric.value(run.figures);
  if (v === undefined) return 'n/a';
  return `${metric.format(v)}${first ? problems(run.figures) : ''}`;
}

function capacityCell(c: Capacity | undefined): string {
  if (c === undefined) return '–';
  if (c.passedAtOffered === undefined) return c.bestRateWithinThreshold === undefined ? '–' : `not reached (≥ ${rate(c.bestRateWithinThreshold)})`;
  return c.bestRateWithinThreshold === undefined ? `< first step (passed at ${rate(c.passedAtOffered)} offered)` : `${rate(c.bestRateWithinThreshold)} (passed at ${rate(c.passedAtOffered)} offered)`;
}

function clientCell(v: ClientValue | undefined, unit: 'bytes' | 'ms'): string {
  if (v === undefined) return '–';
  if (v.status === 'n/a') return 'n/a';
  return unit === 'bytes' ? formatBytes(v.value) : ms(v.value);
}

/** The table (Markdown) of a report. */
export function serverTable(report: ServerBenchReport): string {
  const systems = report.options.systems;
  const peers = systems.includes('tandem') ? systems.filter((s) => s !== 'tandem') : [];
  const header = ['Scenario', 'Offered', 'Metric', ...systems.map((s) => SYSTEM_LABELS[s]), ...peers.map((p) => `Tandem/${SYSTEM_LABELS[p]}`)];
  const lines = [row(header), row(header.map((_, i) => (i < 3 ? '---' : '---:')))];
  const matrix = report.options.matrix === 'full' ? FULL : QUICK;
  for (const scenario of matrix.scenarios) {
    const runs = report.runs.filter((r) => r.scenario === scenario.id);
    if (runs.length === 0) continue;
    const offered = [...new Set(runs.map((r) => r.offeredRate))].sort((a, b) => a - b);
    for (const load of offered) {
      const bySystem = (s: SystemId): LoadRunResult | undefined => runs.find((r) => r.system === s && r.offeredRate === load);
      METRICS.forEach((metric, i) => {
        const tandem = bySystem('tandem')?.figures;
        const tv = tandem === undefined ? undefined : metric.value(tandem);
        lines.push(
          row([
            scenario.label,
            rate(load),
            metric.label,
            ...systems.map((s) => cell(bySystem(s), metric, i === 0)),
            ...peers.map((p) => {
              const pf = bySystem(p)?.figures;
              return formatRatio(tv, pf === undefined ? undefined : metric.value(pf));
            }),
          ]),
        );
      });
    }
    lines.push(
      row([
        scenario.label,
        'stepped',
        `throughput where p99 passes ${P99_THRESHOLD_MS} ms`,
        ...systems.map((s) => capacityCell(report.capacity.find((c) => c.scenario === scenario.id && c.system === s))),
        ...peers.map((p) => {
          const t = report.capacity.find((c) => c.scenario === scenario.id && c.system === 'tandem')?.bestRateWithinThreshold;
          const o = report.capacity.find((c) => c.scenario === scenario.id && c.system === p)?.bestRateWithinThreshold;
          return formatRatio(t, o);
        }),
      ]),
    );
  }
  for (const client of report.clientRows) {
    const tv = client.values.tandem;
    lines.push(
      row([
        'client',
        '–',
        client.label,
        ...systems.map((s) => clientCell(client.values[s], client.unit)),
        ...peers.map((p) => {
          const pv = client.values[p];
          return formatRatio(tv?.status === 'ok' ? tv.value : undefined, pv?.status === 'ok' ? pv.value : undefined);
        }),
      ]),
    );
  }
  return lines.join('\n');
}

/** What the rows mean and how the run was made. */
export function serverNotes(report: ServerBenchReport): string[] {
  const o = report.options;
  const notes = [
    `Matrix ${o.matrix}: each run measures ${o.durationMs / 1000} s of load on a fresh server and fresh documents, then waits up to ${o.drainMs / 1000} s for edits still on their way. Offered loads step up; higher loads are skipped once a system is saturated (achieved below 90 % of offered) or a run failed, and in the full matrix also once p99 passed ${P99_THRESHOLD_MS} ms. "Throughput where p99 passes ${P99_THRESHOLD_MS} ms" is the highest achieved throughput of a step whose p99 stayed within it (and delivered every edit), with the first offered load where it did not.`,
    'Load is open loop: edits are due by the clock, spread over the clients at random, whatever the server does. Every edit is a short insert or a correction (replace 1–5 characters by one) at a moving caret; documents stay near 8,000 characters.',
    'Latency: from the moment the client library takes the edit (waiting behind an operation in flight included) until every other client of the document has applied it; undelivered edits count at their age when the run ended. Achieved throughput: edits applied by every other client within the window, per second.',
    'Clients: Tandem — core `Doc` replicas speaking the events protocol (one operation in flight, edits made meanwhile batched into the next, like the SDK); Yjs — `Y.Doc` with the y-websocket sync protocol, every update sent at once (like y-websocket\'s provider); ShareDB — ShareDB\'s client with ot-text-unicode (one op in flight, later edits composed). All clients of a document run in one load worker process; several documents are spread over two workers.',
    'Servers: Tandem with SQLite in a temporary folder (every operation durably committed before it is acknowledged and broadcast) and its per-connection rate limit raised (the peers have none); y-websocket (@y/websocket-server, documents in memory, no persistence); ShareDB with its in-memory database. Each is one Node process on 127.0.0.1.',
    'Server CPU: /proc/<pid>/stat CPU time over the window, % of one core; time the event loop spends blocked waiting for the disk (Tandem\'s synchronous SQLite commits) is not CPU time and is not in it. Server RSS (peak): sampled every 250 ms during the window. Memory per connection: (RSS after the clients connected − RSS before) / clients, which includes the documents\' state. Load clients CPU: all load workers together, % of one core — near 100 % per worker means the clients, not the server, limited the run.',
    'Ratios divide Tandem by the peer: below 1 is better for latency, CPU and memory; above 1 is better for throughput.',
    `The machine has ${report.machine.logicalCores} logical cores shared by the server, the load workers and anything else running; load average at the start ${report.machine.loadAverage.join(' / ')}.`,
  ];
  for (const run of report.runs) {
    if (run.error !== undefined) notes.push(`${run.scenario} ${SYSTEM_LABELS[run.system]} ${run.offeredRate}/s failed: ${run.error.split('\n')[0]}`);
    const f = run.figures;
    if (f !== undefined && f.errorSamples.length > 0) notes.push(`${run.scenario} ${SYSTEM_LABELS[run.system]} ${run.offeredRate}/s errors: ${Object.entries(f.errors).map(([c, n]) => `${c} × ${n}`).join(', ')} — e.g. ${f.errorSamples[0]}`);
    if (f !== undefined && f.failedEdits > 0) notes.push(`${run.scenario} ${SYSTEM_LABELS[run.system]} ${run.offeredRate}/s: ${f.failedEdits.toLocaleString('en-US')} edits not made (client stopped after a refused operation or lost its connection).`);
    if (f !== undefined && f.skippedEdits > 0) notes.push(`${run.scenario} ${SYSTEM_LABELS[run.system]} ${run.offeredRate}/s: the load generator fell behind and skipped ${f.skippedEdits.toLocaleString('en-US')} edits.`);
  }
  for (const client of report.clientRows) {
    for (const [system, v] of Object.entries(client.values)) {
      if (v.status === 'n/a') notes.push(`${client.label}, ${SYSTEM_LABELS[system as SystemId]}: n/a — ${v.reason}`);
      else if (v.detail !== undefined) notes.push(`${client.label}, ${SYSTEM_LABELS[system as SystemId]}: ${v.detail}`);
    }
  }
  return notes;
}

export function writeServerReport(report: ServerBenchReport): { json: string; markdown: string } {
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `server-${fileTimestamp(report.startedAt)}`);
  const markdown = [
    `# Tandem server benchmark — ${report.startedAt}`,
    '',
    '## Machine',
    machineSection(report),
    '',
    '## Results',
    serverTable(report),
    '',
    report.notes.map((n) => `- ${n}`).join('\n'),
    '',
  ].join('\n');
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  return { json: `${base}.json`, markdown: `${base}.md` };
}
