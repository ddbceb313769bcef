/**
 * The saved record of a peer-to-peer benchmark run: the JSON shape and its Markdown twin (machine,
 * method, latency per path and mesh size with P2P as a ratio of the server path, setup times).
 */
import type { LatencySummary } from '@tandem/client';
import type { MachineInfo } from '../machine-info.js';
import { machineSection } from '../report/results-file.js';

export interface P2PRow {
  readonly peers: number;
  readonly path: 'p2p' | 'server';
  readonly latency: LatencySummary;
  readonly mean: number | undefined;
  readonly linkSetup: LatencySummary;
  readonly meshMs: number | undefined;
  readonly viaP2P: number;
  readonly viaServer: number;
  readonly missing: number;
}

export interface P2PBenchReport {
  readonly machine: MachineInfo;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly options: { readonly peers: readonly number[]; readonly edits: number; readonly warmup: number; readonly intervalMs: number; readonly note?: string };
  readonly rows: readonly P2PRow[];
}

const ms = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(1)} ms`);
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b === 0 ? '—' : `${(a / b).toFixed(2)}×`);

export function p2pMarkdown(report: P2PBenchReport): string {
  const o = report.options;
  const lines = [
    `# Tandem peer-to-peer benchmark — ${report.startedAt}`,
    '',
    '## Machine',
    '',
    machineSection(report),
    ...(o.note !== undefined ? ['', `Note: ${o.note}`] : []),
    '',
    '## Method',
    '',
    `One Tandem server in its own process (SQLite), N TandemClients in the benchmark process on one document, all on 127.0.0.1. ` +
      `Clients take turns appending one character every ${o.intervalMs} ms: ${o.warmup} unmeasured edits, then ${o.edits} measured. ` +
      'A sample is the time from the edit until another client’s replica applied its event (one per edit and receiver), by whichever path came first. ' +
      '"server": P2P off, every event goes client → server (durable commit) → clients. "p2p": P2P on (werift data channels, loopback only); ' +
      'the server path still runs for every event, so the first arrival is counted. The clients and werift share one process and the machine’s 2 cores: ' +
      'these are same-machine figures, not network ones.',
    '',
    '## Latency (edit → applied at another client)',
    '',
    '| peers | path | p50 | p95 | p99 | max | mean | samples | missing | p50 vs server | first arrivals P2P / server |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of report.rows) {
    const base = report.rows.find((x) => x.peers === r.peers && x.path === 'server');
    lines.push(
      `| ${r.peers} | ${r.path} | ${ms(r.latency.p50)} | ${ms(r.latency.p95)} | ${ms(r.latency.p99)} | ${ms(r.latency.max)} | ${ms(r.mean)} | ${r.latency.count} | ${r.missing} | ${ratio(r.latency.p50, base?.latency.p50)} | ${r.path === 'p2p' ? `${r.viaP2P} / ${r.viaServer}` : '—'} |`,
    );
  }
  lines.push('', '## Link setup (target: under 3 s)', '', '| peers | links | setup p50 | setup p95 | setup max | full mesh after join |', '|---:|---:|---:|---:|---:|---:|');
  for (const r of report.rows.filter((x) => x.path === 'p2p')) {
    lines.push(`| ${r.peers} | ${r.linkSetup.count} | ${ms(r.linkSetup.p50)} | ${ms(r.linkSetup.p95)} | ${ms(r.linkSetup.max)} | ${ms(r.meshMs)} |`);
  }
  lines.push('', 'Link setup: from the offer being made to the data channel open, per end of each link. Full mesh: from every client having joined until each had an open link to every other.', '');
  return `${lines.join('\n')}\n`;
}
