/**
 * One measured load run of the server benchmark: a fresh server of the system in a child process,
 * the load coordinator's clients on fresh documents, and the server's CPU (/proc stat delta over the
 * measured window) and memory (RSS before and after connecting, peak during the window) read beside
 * it. The server is stopped at the end whatever happens.
 */
import type { SystemId } from '../load/load-driver.js';
import { runLoad } from '../load/load-coordinator.js';
import type { LoadProgress } from '../load/load-coordinator.js';
import { cpuTimeMs, RssSampler, rssBytes } from './proc-stats.js';
import type { Scenario } from './scenarios.js';
import type { LoadFigures, LoadRunResult } from './server-results.js';
import { startServer } from './server-process.js';

export interface RunSettings {
  readonly durationMs: number;
  readonly drainMs: number;
  readonly seed: number;
  /** Write a CPU profile of the server here. */
  readonly cpuProfDir?: string;
  readonly onProgress?: (p: LoadProgress) => void;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function measuredRun(scenario: Scenario, system: SystemId, rate: number, settings: RunSettings): Promise<LoadRunResult> {
  const base = { scenario: scenario.id, system, offeredRate: rate, clients: scenario.docs * scenario.clientsPerDoc, docs: scenario.docs, durationMs: settings.durationMs };
  const server = await startServer(system, settings.cpuProfDir !== undefined ? { cpuProfDir: settings.cpuProfDir } : {});
  try {
    await settle(300);
    const rssIdle = rssBytes(server.pid);
    let rssConnected: number | undefined;
    let cpuAtStart: number | undefined;
    let cpuAtEnd: number | undefined;
    let sampler: RssSampler | undefined;
    let peak: number | undefined;
    const result = await runLoad({
      system,
      url: server.url,
      docs: scenario.docs,
      clients: scenario.docs * scenario.clientsPerDoc,
      rate,
      durationMs: settings.durationMs,
      drainMs: settings.drainMs,
      seed: settings.seed,
      // All clients of a document share a worker; several documents are spread over two.
      workers: scenario.docs > 1 ? 2 : 1,
      docPrefix: `bench-${scenario.id}-${rate}`,
      onConnected: async () => {
        await settle(300);
        rssConnected = rssBytes(server.pid);
        sampler = new RssSampler(server.pid);
        cpuAtStart = cpuTimeMs(server.pid);
      },
      onMeasured: () => {
        cpuAtEnd = cpuTimeMs(server.pid);
        peak = sampler?.stop();
      },
      ...(settings.onProgress !== undefined ? { onProgress: settings.onProgress } : {}),
    });
    peak ??= sampler?.stop();
    const { measured, final } = result;
    const seconds = settings.durationMs / 1000;
    const setup = [...result.connectMs].sort((a, b) => a - b);
    const h = final.histogram;
    const figures: LoadFigures = {
      achievedRate: measured.delivered / seconds,
      p50Ms: h.percentile(0.5),
      p95Ms: h.percentile(0.95),
      p99Ms: h.percentile(0.99),
      maxMs: h.maxMs,
      edits: h.count,
      undelivered: final.undelivered,
      failedEdits: measured.failed,
      skippedEdits: measured.skipped,
      errors: final.issues.errors,
      errorSamples: final.issues.samples,
      disconnects: final.issues.disconnects,
      rateLimited: final.issues.rateLimited,
      ...(cpuAtStart !== undefined && cpuAtEnd !== undefined ? { serverCpuPercent: (100 * (cpuAtEnd - cpuAtStart)) / settings.durationMs } : {}),
      ...(rssIdle !== undefined ? { serverRssIdle: rssIdle } : {}),
      ...(rssConnected !== undefined ? { serverRssConnected: rssConnected } : {}),
      ...(peak !== undefined ? { serverRssPeak: peak } : {}),
      ...(rssIdle !== undefined && rssConnected !== undefined ? { memoryPerConnection: (rssConnected - rssIdle) / result.clients } : {}),
      clientCpuPercent: (100 * measured.clientCpuMs) / settings.durationMs,
      connectMsP50: quantile(setup, 0.5),
      connectMsP99: quantile(setup, 0.99),
      histogram: h.toJSON(),
    };
    return { ...base, figures };
  } catch (err) {
    return { ...base, error: err instanceof Error ? err.message : String(err) };
  } finally {
    await server.stop();
  }
}
