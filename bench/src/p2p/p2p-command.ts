/**
 * `npm run bench -- p2p`: event latency over peer-to-peer data channels against the same clients
 * going through the server, at 2, 4 and 8 peers on one document, and the time to set up each
 * link and the whole mesh (target: under 3 s). Writes bench/results/p2p-<time>.json and .md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarize } from '@tandem/client';
import { machineInfo } from '../machine-info.js';
import { fileTimestamp, resultsDir } from '../report/results-file.js';
import { startServer } from '../server/server-process.js';
import { p2pMarkdown, type P2PBenchReport, type P2PRow } from './p2p-report.js';
import { runP2P } from './p2p-run.js';

export const P2P_USAGE = `p2p [--peers 2,4,8] [--edits 200] [--warmup 20] [--interval-ms 20] [--note TEXT]
    peer-to-peer: edit → remote replica latency over WebRTC data channels (werift, loopback)
    against the same clients through the server, and link / mesh setup time`;

export class P2PUsageError extends Error {}

export interface P2PBenchOptions {
  readonly peers: readonly number[];
  readonly edits: number;
  readonly warmup: number;
  readonly intervalMs: number;
  /** Printed in the results file (what was special about this run). */
  readonly note?: string;
}

export function parseP2PArgs(args: readonly string[]): P2PBenchOptions {
  const v = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i]!;
    const value = args[i + 1];
    if (!flag.startsWith('--') || value === undefined) throw new P2PUsageError(`bad argument ${JSON.stringify(flag)}`);
    v.set(flag.slice(2), value);
  }
  const int = (k: string, d: number, min: number): number => {
    const n = Number(v.get(k) ?? d);
    if (!Number.isInteger(n) || n < min) throw new P2PUsageError(`--${k} must be an integer ≥ ${min}, got ${v.get(k)}`);
    return n;
  };
  const peers = (v.get('peers') ?? '2,4,8').split(',').map(Number);
  if (peers.some((n) => !Number.isInteger(n) || n < 2)) throw new P2PUsageError('--peers is a comma-separated list of integers ≥ 2');
  const note = v.get('note');
  return { peers, edits: int('edits', 200, 1), warmup: int('warmup', 20, 0), intervalMs: int('interval-ms', 20, 1), ...(note !== undefined ? { note } : {}) };
}

export async function runP2PCommand(o: P2PBenchOptions): Promise<number> {
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  const startedAt = new Date().toISOString();
  const machine = machineInfo(['@tandem/client', '@tandem/server', 'werift', 'ws']);
  out(`machine: ${machine.logicalCores} CPUs, load average ${machine.loadAverage.join(' ')}; server in its own process, all clients in this one`);
  const rows: P2PRow[] = [];
  const server = await startServer('tandem');
  try {
    for (const peers of o.peers) {
      for (const p2p of [false, true]) {
        const docId = `p2p-bench-${peers}-${p2p ? 'p2p' : 'server'}-${Date.now().toString(36)}`;
        const r = await runP2P({ url: server.url, docId, peers, p2p, edits: o.edits, warmup: o.warmup, intervalMs: o.intervalMs, meshTimeoutMs: 60_000 });
        const row: P2PRow = {
          peers,
          path: p2p ? 'p2p' : 'server',
          latency: summarize(r.latencies),
          mean: r.latencies.length === 0 ? undefined : r.latencies.reduce((a, b) => a + b, 0) / r.latencies.length,
          linkSetup: summarize(r.linkSetupMs),
          meshMs: r.meshMs,
          viaP2P: r.viaP2P,
          viaServer: r.viaServer,
          missing: r.missing,
        };
        rows.push(row);
        const f = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(1)} ms`);
        out(
          `${String(peers).padStart(2)} peers ${row.path.padEnd(6)} latency p50 ${f(row.latency.p50)} p95 ${f(row.latency.p95)} p99 ${f(row.latency.p99)} (${row.latency.count} samples, ${row.missing} missing)` +
            (p2p ? `; link setup p50 ${f(row.linkSetup.p50)} max ${f(row.linkSetup.max)}; mesh ${f(row.meshMs)}; first arrivals ${row.viaP2P} P2P / ${row.viaServer} server` : ''),
        );
      }
    }
  } finally {
    await server.stop();
  }
  const report: P2PBenchReport = { machine, startedAt, finishedAt: new Date().toISOString(), options: o, rows };
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `p2p-${fileTimestamp(report.startedAt)}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.md`, p2pMarkdown(report));
  out(`results: ${base}.md and .json`);
  return rows.some((r) => r.missing > 0) ? 1 : 0;
}
