/**
 * `npm run bench -- cluster`: the scale-out benchmark. Starts real clusters (PostgreSQL + Redis on
 * this machine), measures cross-node against same-node delivery latency at a steady event rate,
 * then total throughput with 1, 2 and 3 nodes on many documents, and prints the figures with the
 * machine's load (this benchmark shares the machine with PostgreSQL, Redis and whatever else runs).
 */
import { cpus, loadavg } from 'node:os';
import { startBenchCluster } from './cluster-nodes.js';
import { measureLatency } from './cluster-latency.js';
import { measureThroughput } from './cluster-throughput.js';

export const CLUSTER_USAGE = `cluster [--rates 200,1000] [--latency-docs 20] [--nodes 1,2,3] [--docs 60] [--window 8]
          [--duration-ms 10000] [--warmup-ms 2000] [--postgres-url URL] [--redis-url URL]
    scale-out: cross-node vs same-node latency (p50/p95/p99) at each of --rates events/s, and
    total throughput of clusters of each --nodes size on --docs documents`;

export class ClusterUsageError extends Error {}

export interface ClusterOptions {
  readonly rates: readonly number[];
  readonly latencyDocs: number;
  readonly nodes: readonly number[];
  readonly docs: number;
  readonly window: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly postgresUrl: string;
  readonly redisUrl: string;
}

export function parseClusterArgs(args: readonly string[]): ClusterOptions {
  const v = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i]!;
    const value = args[i + 1];
    if (!flag.startsWith('--') || value === undefined) throw new ClusterUsageError(`bad argument ${JSON.stringify(flag)}`);
    v.set(flag.slice(2), value);
  }
  const num = (k: string, d: number): number => {
    const n = Number(v.get(k) ?? d);
    if (!Number.isFinite(n) || n <= 0) throw new ClusterUsageError(`--${k} must be a positive number`);
    return n;
  };
  const list = (k: string, d: string): number[] => {
    const l = (v.get(k) ?? d).split(',').map(Number);
    if (l.some((n) => !Number.isInteger(n) || n < 1)) throw new ClusterUsageError(`--${k} is a comma-separated list of positive integers`);
    return l;
  };
  const nodes = list('nodes', '1,2,3');
  return {
    rates: list('rates', '200,1000'),
    latencyDocs: num('latency-docs', 20),
    nodes,
    docs: num('docs', 60),
    window: num('window', 8),
    durationMs: num('duration-ms', 10_000),
    warmupMs: num('warmup-ms', 2_000),
    postgresUrl: v.get('postgres-url') ?? process.env['TANDEM_TEST_POSTGRES_URL'] ?? 'postgres://127.0.0.1:5432/test',
    redisUrl: v.get('redis-url') ?? process.env['TANDEM_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  };
}

const ms = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : '—');

export async function runClusterCommand(o: ClusterOptions): Promise<number> {
  const tag = `${Date.now().toString(36)}_${process.pid}`;
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (shared with PostgreSQL, Redis and other work)`);

  out(`\nlatency: 2 nodes, ${o.latencyDocs} documents, writers alternating between the nodes, a reader on each node, ${o.durationMs} ms measured per rate`);
  out(`  ${'rate'.padEnd(10)}${'path'.padEnd(12)}${'p50'.padStart(12)}${'p95'.padStart(12)}${'p99'.padStart(12)}${'max'.padStart(12)}`);
  for (const rate of o.rates) {
    // A fresh cluster per rate: documents and queues start empty.
    const two = await startBenchCluster({ postgresUrl: o.postgresUrl, redisUrl: o.redisUrl, nodes: 2, label: `lat${rate}_${tag}` });
    try {
      const r = await measureLatency({ urls: [two.urls[0]!, two.urls[1]!], docs: o.latencyDocs, rate, warmupMs: o.warmupMs, durationMs: o.durationMs });
      for (const [name, h] of [
        ['same node', r.sameNode],
        ['cross node', r.crossNode],
      ] as const) {
        out(`  ${`${rate}/s`.padEnd(10)}${name.padEnd(12)}${ms(h.percentile(0.5)).padStart(12)}${ms(h.percentile(0.95)).padStart(12)}${ms(h.percentile(0.99)).padStart(12)}${ms(h.maxMs).padStart(12)}`);
      }
      const saturated = r.lost.same + r.lost.cross > 0 || r.sameNode.percentile(0.5) > 1_000;
      out(`  ${''.padEnd(10)}sent ${r.sent} (${r.achievedRate.toFixed(0)}/s); undelivered after 10 s: same ${r.lost.same}, cross ${r.lost.cross}${saturated ? '  <- SATURATED: the cluster could not keep up; latency is queueing' : ''}`);
    } finally {
      await two.stop();
    }
  }

  out(`\nthroughput: ${o.docs} documents, one writer each (${o.window} operations in flight) and one reader on the next node, ${o.durationMs} ms measured`);
  out(`  ${'nodes'.padEnd(14)}${'acked ev/s'.padStart(12)}${'delivered events/s'.padStart(22)}`);
  // The first row is a plain single server (no Redis): what clustering costs a node.
  for (const [n, redis] of [[1, false] as const, ...o.nodes.map((k) => [k, true] as const)]) {
    const cluster = await startBenchCluster({ postgresUrl: o.postgresUrl, redisUrl: o.redisUrl, nodes: n, redis, label: `tp${n}${redis ? 'r' : ''}_${tag}` });
    try {
      const r = await measureThroughput({ urls: cluster.urls, docs: o.docs, window: o.window, warmupMs: o.warmupMs, durationMs: o.durationMs });
      out(`  ${(redis ? String(n) : '1 (no Redis)').padEnd(14)}${r.ackedPerSecond.toFixed(0).padStart(12)}${r.deliveredPerSecond.toFixed(0).padStart(22)}`);
    } finally {
      await cluster.stop();
    }
  }
  out(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  return 0;
}
