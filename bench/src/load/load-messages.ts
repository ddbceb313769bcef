/**
 * What a load coordinator and its worker processes say to each other over the Node IPC channel: the
 * worker's share of the run, the start signal, and the worker's cumulative figures (once a second,
 * at the end of the measured window, and after the drain).
 */
import type { HistogramData } from './histogram.js';
import type { SystemId } from './load-driver.js';

export interface WorkerDoc {
  readonly docId: string;
  readonly clients: number;
}

export interface WorkerConfig {
  readonly system: SystemId;
  readonly url: string;
  readonly token?: string;
  readonly docs: readonly WorkerDoc[];
  /** Prefix of client names (agents, dev users): unique per run and worker. */
  readonly namePrefix: string;
  /** Edits per second this worker offers (its share of the total). */
  readonly rate: number;
  readonly durationMs: number;
  /** After the measured window, how long to wait for edits still on their way. */
  readonly drainMs: number;
  readonly seed: number;
  /** Documents connected at once. */
  readonly connectConcurrency: number;
  /** The whole connect phase must finish within this. */
  readonly connectTimeoutMs: number;
}

export interface IssuesData {
  readonly errors: Readonly<Record<string, number>>;
  readonly rateLimited: number;
  readonly disconnects: number;
  readonly samples: readonly string[];
}

export interface WorkerSnapshot {
  /** Since the start signal. */
  readonly elapsedMs: number;
  /** Edits due by the schedule. */
  readonly offered: number;
  /** Edits clients made (offered minus those skipped because the generator fell more than 1 s behind). */
  readonly made: number;
  readonly skipped: number;
  /** Edits due on a client that could not make them (closed, or stopped after a refused operation). */
  readonly failed: number;
  /** Edits applied by every other client of their document. */
  readonly delivered: number;
  /** Edits still on their way. */
  readonly outstanding: number;
  /** Edits never applied everywhere by the end of the drain (recorded with their age, a lower bound). */
  readonly undelivered: number;
  readonly histogram: HistogramData;
  /** CPU time of the worker process since the start signal. */
  readonly cpuMs: number;
  readonly issues: IssuesData;
}

export type ToWorker = { readonly type: 'config'; readonly config: WorkerConfig } | { readonly type: 'start' } | { readonly type: 'abort' };

export type FromWorker =
  | { readonly type: 'connected'; readonly clients: number; readonly connectMs: readonly number[] }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'progress'; readonly snapshot: WorkerSnapshot }
  | { readonly type: 'measured'; readonly snapshot: WorkerSnapshot }
  | { readonly type: 'final'; readonly snapshot: WorkerSnapshot };
