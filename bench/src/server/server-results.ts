/**
 * The record of a server benchmark run: one entry per (scenario, system, offered load) with the
 * figures the table shows, the stepping outcome per (scenario, system), the client-side rows, and
 * the machine. This is what `bench/results/server-<timestamp>.json` holds.
 */
import type { HistogramData } from '../load/histogram.js';
import type { SystemId } from '../load/load-driver.js';
import type { MachineInfo } from '../machine-info.js';

export interface LoadRunResult {
  readonly scenario: string;
  readonly system: SystemId;
  readonly offeredRate: number;
  readonly clients: number;
  readonly docs: number;
  readonly durationMs: number;
  /** Set when the run did not produce figures (server or workers failed). */
  readonly error?: string;
  /** Set when the run was not made: the threshold was passed at a lower load. */
  readonly skipped?: string;
  readonly figures?: LoadFigures;
}

export interface LoadFigures {
  /** Edits per second applied by every other client of their document within the window. */
  readonly achievedRate: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly edits: number;
  readonly undelivered: number;
  /** Edits due that clients could not make (closed, or stopped after a refused operation). */
  readonly failedEdits: number;
  /** Edits skipped because the load generator fell more than a second behind. */
  readonly skippedEdits: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly errorSamples: readonly string[];
  readonly disconnects: number;
  readonly rateLimited: number;
  /** Server CPU over the window, % of one core (/proc). */
  readonly serverCpuPercent?: number;
  /** Server RSS before the clients connected, after, and the peak during the window (bytes). */
  readonly serverRssIdle?: number;
  readonly serverRssConnected?: number;
  readonly serverRssPeak?: number;
  /** (RSS after connecting − RSS before) / clients. */
  readonly memoryPerConnection?: number;
  /** Load workers' CPU over the window, % of one core, all workers together. */
  readonly clientCpuPercent: number;
  readonly connectMsP50: number;
  readonly connectMsP99: number;
  readonly histogram: HistogramData;
}

/** The stepping outcome of one (scenario, system). */
export interface Capacity {
  readonly scenario: string;
  readonly system: SystemId;
  /** Highest achieved rate among the steps with p99 ≤ threshold (undefined if none). */
  readonly bestRateWithinThreshold?: number;
  /** The first offered load whose p99 passed the threshold (undefined if none did). */
  readonly passedAtOffered?: number;
}

export interface ClientRow {
  readonly id: 'clientMemory' | 'openMillion' | 'openMillionCold' | 'connectSetup';
  readonly label: string;
  readonly unit: 'bytes' | 'ms';
  readonly values: Partial<Record<SystemId, ClientValue>>;
}

export type ClientValue = { readonly status: 'ok'; readonly value: number; readonly detail?: string } | { readonly status: 'n/a'; readonly reason: string };

export interface ServerBenchReport {
  readonly kind: 'server';
  readonly startedAt: string;
  finishedAt: string;
  readonly machine: MachineInfo;
  readonly options: { readonly matrix: 'quick' | 'full'; readonly systems: readonly SystemId[]; readonly durationMs: number; readonly drainMs: number; readonly seed: number };
  readonly runs: LoadRunResult[];
  readonly capacity: Capacity[];
  readonly clientRows: ClientRow[];
  readonly notes: string[];
}
