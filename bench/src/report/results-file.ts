/**
 * The saved record of a core benchmark run: `bench/results/core-<timestamp>.json` (everything, with
 * every timed sample) and a `.md` twin (machine, traces, table, notes, failures).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CoreBenchReport } from '../core/core-results.js';
import type { MachineInfo } from '../machine-info.js';
import { LIBRARY_LABELS } from '../core/adapters/core-bench-adapter.js';
import { resultsTable, tableNotes } from './table.js';
import { formatBytes } from './units.js';

/** bench/results, found from this module's place in bench/dist/src/report. */
export function resultsDir(): string {
  return fileURLToPath(new URL('../../../results/', import.meta.url));
}

/** "2025-11-23T01-02-03Z": an ISO time usable in file names. */
/** A results file name's timestamp: the ISO time without milliseconds or colons. */
export function fileTimestamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** The machine details every results file opens with (core, server and cluster reports alike). */
export function machineSection(report: { readonly machine: MachineInfo; readonly startedAt: string; readonly finishedAt: string }): string {
  const m = report.machine;
  const packages = Object.entries(m.packages).map(([name, version]) => `${name} ${version}`).join(', ');
  const git = m.git === null ? 'unknown' : `${m.git.commit}${m.git.dirty ? ' (with uncommitted changes)' : ''}`;
  return [
    `- CPU: ${m.cpuModel}, ${m.logicalCores} logical cores`,
    `- Memory: ${formatBytes(m.totalMemoryBytes)}`,
    `- OS: ${m.os}; load average at start ${m.loadAverage.join(' / ')} (1 / 5 / 15 min)`,
    `- Node ${m.node}, V8 ${m.v8}`,
    `- Packages: ${packages}`,
    `- Git commit: ${git}`,
    `- Started ${report.startedAt}, finished ${report.finishedAt}`,
  ].join('\n');
}

function tracesSection(report: CoreBenchReport): string {
  return report.traces
    .map(({ trace: t }) => {
      const agents = t.kind === 'concurrent' ? `, ${t.agents} agents` : '';
      return `- ${t.name} (${t.kind}): ${t.txns.toLocaleString('en-US')} txns, ${t.patches.toLocaleString('en-US')} patches${agents}, final length ${t.finalLength.toLocaleString('en-US')} — ${t.path}`;
    })
    .join('\n');
}

export function failuresSection(report: CoreBenchReport): string {
  if (report.failures.length === 0) return 'None: every final text equals the trace\'s endContent.';
  return report.failures.map((f) => `- ${f.trace} / ${LIBRARY_LABELS[f.library]} / ${f.metric}: ${f.detail}`).join('\n');
}

export function reportMarkdown(report: CoreBenchReport): string {
  const { runs, warmup, libraries } = report.options;
  return [
    `# Tandem core benchmark — ${report.startedAt}`,
    '',
    '## Machine',
    machineSection(report),
    '',
    '## Traces',
    tracesSection(report),
    '',
    '## Results',
    resultsTable(report.traces, libraries),
    '',
    tableNotes(report.traces, runs, warmup),
    '',
    '## Correctness failures',
    failuresSection(report),
    '',
  ].join('\n');
}

/** Writes the JSON and Markdown files; returns their paths. */
export function writeReportFiles(report: CoreBenchReport): { json: string; markdown: string } {
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `core-${fileTimestamp(report.startedAt)}`);
  const json = `${base}.json`;
  const markdown = `${base}.md`;
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, reportMarkdown(report));
  return { json, markdown };
}
