/**
 * Latency probe (a measurement, not a test: it prints and asserts nothing). For each client count
 * it starts a real server in a child process (so it has its own event loop, as in production),
 * opens that many clients on one document in this process, lets each type at a steady rate with
 * heartbeats every 250 ms, and prints, over all clients:
 *
 *   - RTT: ping → pong on the client's connection;
 *   - event round trip: a local edit → the server's operation_ack (the edit durably stored).
 *
 * Usage: node packages/client/dist/test/support/latency-probe.js [--clients 2,10,50] [--seconds 10]
 *        [--edits-per-second 1] [--seed N]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { TandemClient, summarize, type LatencySummary } from '../../src/index.js';
import { Rng } from './random.js';

interface ProbeOptions {
  readonly counts: readonly number[];
  readonly seconds: number;
  readonly editsPerSecond: number;
  readonly seed: number;
}

function parseArgs(argv: readonly string[]): ProbeOptions {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    counts: (value('--clients') ?? '2,10,50').split(',').map((s) => Number(s.trim())),
    seconds: Number(value('--seconds') ?? '10'),
    editsPerSecond: Number(value('--edits-per-second') ?? '1'),
    seed: Number(value('--seed') ?? String(Math.floor(Math.random() * 2 ** 32))),
  };
}

/**
 * Starts a server in a child process on a free port, with document `docId` owned by u0 and
 * editable by u1…u(count-1); resolves with its port.
 */
async function startServer(dataDir: string, docId: string, count: number): Promise<{ child: ChildProcess; port: number }> {
  const serverEntry = createRequire(import.meta.url).resolve('@tandem/server');
  const script = `
    const { createTandemServer, defaultConfig } = await import(${JSON.stringify(serverEntry)});
    const config = defaultConfig({ port: 0, host: '127.0.0.1', dataDir: ${JSON.stringify(dataDir)}, logLevel: 'silent' });
    const server = await createTandemServer(config);
    const port = await server.listen();
    const permissions = server.services.permissions;
    await permissions.ensureDocument(${JSON.stringify(docId)}, 'u0');
    for (let i = 1; i < ${count}; i++) await permissions.grant(${JSON.stringify(docId)}, 'u0', 'u' + i, 'editor');
    process.stdout.write('PORT ' + port + '\\n');
    process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /PORT (\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, port };
}

function format(s: LatencySummary): string {
  const ms = (v: number | undefined): string => (v === undefined ? '   -  ' : `${v.toFixed(1).padStart(6)}`);
  return `p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  ms  (n=${s.count})`;
}

async function probe(count: number, options: ProbeOptions, rng: Rng): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-probe-'));
  const docId = `probe-${count}`;
  const { child, port } = await startServer(dataDir, docId, count);
  const url = `ws://127.0.0.1:${port}/ws`;
  const clients: TandemClient[] = [];
  try {
    for (let i = 0; i < count; i++) {
      clients.push(new TandemClient({ url, WebSocket, devUser: { id: `u${i}` }, tabs: false, network: false, heartbeatMs: 250, heartbeatTimeoutMs: 10_000, random: rng.fork() }));
    }
    const docs = await Promise.all(clients.map((c) => c.open(docId)));
    await Promise.all(docs.map((d) => d.whenSynced(30_000)));
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const stopAt = started + options.seconds * 1000;
    const meanGapMs = 1000 / options.editsPerSecond;
    await Promise.all(
      docs.map(async (doc) => {
        // Exponential gaps: clients type independently, not in lockstep.
        for (;;) {
          const gap = -Math.log(1 - rng.next()) * meanGapMs;
          if (performance.now() + gap >= stopAt) break;
          await new Promise((r) => setTimeout(r, gap));
          const text = doc.text();
          text.insert(rng.int(text.length + 1), rng.pick(['a', 'b', 'c', ' ']));
        }
      }),
    );
    await Promise.all(docs.map((d) => d.whenSynced(60_000)));
    // Synced means "my edits are acknowledged"; others' last edits may still be on their way.
    const deadline = performance.now() + 60_000;
    while (new Set(docs.map((d) => d.text().toString())).size > 1 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const rtt = summarize(clients.flatMap((c) => c.metricSamples().rtt));
    const ert = summarize(clients.flatMap((c) => c.metricSamples().eventRoundTrip));
    const events = docs.reduce((n, d) => n + (d.replica.vector[d.replica.agent] ?? 0), 0);
    const converged = new Set(docs.map((d) => d.text().toString())).size === 1;
    const reconnects = clients.reduce((n, c) => n + c.metrics.reconnects, 0);
    console.log(
      `${String(count).padStart(3)} clients, ${events} edits in ${options.seconds} s, ${reconnects} reconnects, ` +
        `clients' process used ${cpuSeconds.toFixed(1)} s CPU${converged ? ', converged' : ' (NOT CONVERGED)'}`,
    );
    console.log(`    RTT (ping → pong)               ${format(rtt)}`);
    console.log(`    event round trip (edit → ack)   ${format(ert)}`);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const options = parseArgs(process.argv.slice(2));
console.log(`# latency probe: seed ${options.seed}, ${options.seconds} s per run, ${options.editsPerSecond} edits/s per client, heartbeat 250 ms`);
const rng = new Rng(options.seed);
for (const count of options.counts) await probe(count, options, rng);
