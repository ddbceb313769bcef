/**
 * Runs one load test across worker processes: spreads the clients over the documents and the
 * documents over the workers (all clients of a document in one worker, so its delivery tracking is
 * local), forks the workers, starts them together once every client is connected, merges their
 * figures once a second for progress, and returns the figures of the measured window and of the
 * whole run. The whole test is bounded in time; workers that overstay are killed.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LatencyHistogram } from './histogram.js';
import type { SystemId } from './load-driver.js';
import type { FromWorker, IssuesData, ToWorker, WorkerConfig, WorkerDoc, WorkerSnapshot } from './load-messages.js';

const WORKER = fileURLToPath(new URL('./load-worker.js', import.meta.url));

export interface LoadPlan {
  readonly system: SystemId;
  readonly url: string;
  readonly token?: string;
  readonly docs: number;
  /** Clients in all, spread evenly over the documents. */
  readonly clients: number;
  /** Offered edits per second, in all. */
  readonly rate: number;
  readonly durationMs: number;
  readonly drainMs: number;
  readonly seed: number;
  /** Worker processes (at most one per document). */
  readonly workers: number;
  /** Document ids are `${docPrefix}-${i}`. */
  readonly docPrefix: string;
  readonly connectTimeoutMs?: number;
  /** Called once every client is connected, before the edits start (a good time to measure the server). */
  readonly onConnected?: () => Promise<void> | void;
  /** Called when the measured window ends. */
  readonly onMeasured?: () => void;
  readonly onProgress?: (progress: LoadProgress) => void;
}

/** The merged figures of every worker. */
export interface LoadTotals {
  readonly elapsedMs: number;
  readonly offered: number;
  readonly made: number;
  readonly skipped: number;
  readonly failed: number;
  readonly delivered: number;
  readonly outstanding: number;
  readonly undelivered: number;
  readonly histogram: LatencyHistogram;
  readonly clientCpuMs: number;
  readonly issues: IssuesData;
}

export interface LoadProgress {
  readonly totals: LoadTotals;
  /** Per second over the last progress interval. */
  readonly offeredRate: number;
  readonly deliveredRate: number;
}

export interface LoadResult {
  readonly plan: Omit<LoadPlan, 'onConnected' | 'onMeasured' | 'onProgress' | 'token'>;
  readonly clients: number;
  /** Connection setup time of each client (connect, handshake, join, state applied), ms. */
  readonly connectMs: readonly number[];
  /** At the end of the measured window. */
  readonly measured: LoadTotals;
  /** After the drain: the latency of every edit made, undelivered ones at their age. */
  readonly final: LoadTotals;
}

/** Splits `clients` over `docs` documents as evenly as possible. */
export function spreadClients(docs: number, clients: number, docPrefix: string): WorkerDoc[] {
  const out: WorkerDoc[] = [];
  for (let i = 0; i < docs; i++) out.push({ docId: `${docPrefix}-${i}`, clients: Math.floor(clients / docs) + (i < clients % docs ? 1 : 0) });
  return out.filter((d) => d.clients > 0);
}

function mergeIssues(list: readonly IssuesData[]): IssuesData {
  const errors: Record<string, number> = {};
  let rateLimited = 0;
  let disconnects = 0;
  const samples: string[] = [];
  for (const i of list) {
    for (const [code, n] of Object.entries(i.errors)) errors[code] = (errors[code] ?? 0) + n;
    rateLimited += i.rateLimited;
    disconnects += i.disconnects;
    samples.push(...i.samples);
  }
  return { errors, rateLimited, disconnects, samples: samples.slice(0, 10) };
}

export function mergeSnapshots(list: readonly WorkerSnapshot[]): LoadTotals {
  const histogram = new LatencyHistogram();
  for (const s of list) histogram.merge(s.histogram);
  const sum = (f: (s: WorkerSnapshot) => number): number => list.reduce((acc, s) => acc + f(s), 0);
  return {
    elapsedMs: Math.max(0, ...list.map((s) => s.elapsedMs)),
    offered: sum((s) => s.offered),
    made: sum((s) => s.made),
    skipped: sum((s) => s.skipped),
    failed: sum((s) => s.failed),
    delivered: sum((s) => s.delivered),
    outstanding: sum((s) => s.outstanding),
    undelivered: sum((s) => s.undelivered),
    histogram,
    clientCpuMs: sum((s) => s.cpuMs),
    issues: mergeIssues(list.map((s) => s.issues)),
  };
}

interface WorkerHandle {
  readonly child: ChildProcess;
  readonly config: WorkerConfig;
  latest: WorkerSnapshot | undefined;
  measured: WorkerSnapshot | undefined;
  final: WorkerSnapshot | undefined;
}

function send(child: ChildProcess, message: ToWorker): void {
  if (child.connected) child.send(message);
}

export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const docs = spreadClients(plan.docs, plan.clients, plan.docPrefix);
  const workerCount = Math.max(1, Math.min(plan.workers, docs.length));
  const connectTimeoutMs = plan.connectTimeoutMs ?? 180_000;
  const totalClients = docs.reduce((n, d) => n + d.clients, 0);
  const handles: WorkerHandle[] = [];
  for (let w = 0; w < workerCount; w++) {
    const mine = docs.filter((_, i) => i % workerCount === w);
    const clients = mine.reduce((n, d) => n + d.clients, 0);
    const config: WorkerConfig = {
      system: plan.system,
      url: plan.url,
      ...(plan.token !== undefined ? { token: plan.token } : {}),
      docs: mine,
      namePrefix: `${plan.docPrefix}-w${w}`,
      rate: (plan.rate * clients) / totalClients,
      durationMs: plan.durationMs,
      drainMs: plan.drainMs,
      seed: plan.seed * 1000 + w,
      connectConcurrency: 16,
      connectTimeoutMs,
    };
    // TANDEM_LOAD_CPU_PROF_DIR: write a V8 CPU profile of each worker there (to profile the clients).
    const profDir = process.env['TANDEM_LOAD_CPU_PROF_DIR'];
    const execArgv = ['--max-old-space-size=8192', ...(profDir !== undefined && profDir !== '' ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])];
    const child = fork(WORKER, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    handles.push({ child, config, latest: undefined, measured: undefined, final: undefined });
  }
  const killAll = (): void => {
    for (const h of handles) if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGKILL');
  };
  const hardStop = setTimeout(killAll, connectTimeoutMs + plan.durationMs + plan.drainMs + 60_000);
  try {
    return await new Promise<LoadResult>((resolve, reject) => {
      const connectMs: number[] = [];
      let connected = 0;
      let clients = 0;
      let progressTimer: NodeJS.Timeout | undefined;
      let previous: LoadTotals | undefined;
      let measuredCalled = false;
      const fail = (message: string): void => {
        if (progressTimer !== undefined) clearInterval(progressTimer);
        for (const h of handles) send(h.child, { type: 'abort' });
        reject(new Error(message));
      };
      const startAll = async (): Promise<void> => {
        try {
          await plan.onConnected?.();
        } catch (err) {
          fail(err instanceof Error ? err.message : String(err));
          return;
        }
        for (const h of handles) send(h.child, { type: 'start' });
        progressTimer = setInterval(() => {
          const snaps = handles.map((h) => h.latest).filter((s): s is WorkerSnapshot => s !== undefined);
          if (snaps.length === 0) return;
          const totals = mergeSnapshots(snaps);
          const dt = previous === undefined ? totals.elapsedMs : totals.elapsedMs - previous.elapsedMs;
          const rate = (now: number, before: number): number => (dt > 0 ? ((now - before) * 1000) / dt : 0);
          plan.onProgress?.({ totals, offeredRate: rate(totals.offered, previous?.offered ?? 0), deliveredRate: rate(totals.delivered, previous?.delivered ?? 0) });
          previous = totals;
        }, 1000);
      };
      for (const h of handles) {
        h.child.on('message', (raw: unknown) => {
          const m = raw as FromWorker;
          switch (m.type) {
            case 'connected':
              connectMs.push(...m.connectMs);
              clients += m.clients;
              if (++connected === handles.length) void startAll();
              return;
            case 'failed':
              fail(`load worker failed: ${m.message}`);
              return;
            case 'progress':
              h.latest = m.snapshot;
              return;
            case 'measured':
              h.latest = m.snapshot;
              h.measured = m.snapshot;
              if (!measuredCalled && handles.every((x) => x.measured !== undefined)) {
                measuredCalled = true;
                plan.onMeasured?.();
              }
              return;
            case 'final':
              h.final = m.snapshot;
              if (handles.every((x) => x.final !== undefined)) {
                if (progressTimer !== undefined) clearInterval(progressTimer);
                const { onConnected: _c, onMeasured: _m, onProgress: _p, token: _t, ...planData } = plan;
                resolve({
                  plan: planData,
                  clients,
                  connectMs,
                  measured: mergeSnapshots(handles.map((x) => x.measured!)),
                  final: mergeSnapshots(handles.map((x) => x.final!)),
                });
              }
              return;
          }
        });
        h.child.on('exit', (code, signal) => {
          if (h.final === undefined) fail(`load worker exited early (code ${String(code)}, signal ${String(signal)})`);
        });
        send(h.child, { type: 'config', config: h.config });
      }
    });
  } finally {
    clearTimeout(hardStop);
    // Workers leave on their own after 'final'; make sure none is left behind.
    setTimeout(killAll, 2_000).unref();
  }
}
