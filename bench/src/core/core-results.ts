/**
 * The results of a core benchmark run, as written to JSON and rendered as a table: the metrics, one
 * cell per (trace, metric, library), and the correctness failures found along the way.
 */
import type { LibraryId } from './adapters/core-bench-adapter.js';
import type { TimingStats } from './timing.js';
import type { MachineInfo } from '../machine-info.js';

export const METRIC_IDS = ['applyLocal', 'merge', 'live', 'load', 'encodedSize', 'heapUsed', 'heapExternal', 'heapArrayBuffers', 'heapRss'] as const;
export type MetricId = (typeof METRIC_IDS)[number];

export interface MetricInfo {
  readonly label: string;
  /** 'ms' for timings, 'bytes' for sizes and memory. */
  readonly unit: 'ms' | 'bytes';
  readonly description: string;
}

export const METRICS: Readonly<Record<MetricId, MetricInfo>> = {
  applyLocal: { label: 'apply local', unit: 'ms', description: 'fresh document; every patch applied as its own local edit; final text read' },
  merge: { label: 'merge from scratch', unit: 'ms', description: 'fresh document receives the whole history made by others; final text read' },
  live: {
    label: 'live replicas',
    unit: 'ms',
    description:
      'concurrent traces: one replica per agent makes its txns as local edits and merges the others\' txns just before its next one, as clients behind a relay do; then one replica catches up; its final text read',
  },
  load: { label: 'load', unit: 'ms', description: 'saved document loaded; final text read' },
  encodedSize: { label: 'encoded size', unit: 'bytes', description: 'bytes of the saved document' },
  heapUsed: { label: 'memory: JS heapUsed Δ', unit: 'bytes', description: 'V8 heap held by the loaded document (fresh process, after full GC)' },
  heapExternal: {
    label: 'memory: external Δ',
    unit: 'bytes',
    description: 'memory outside the V8 heap held by the loaded document: ArrayBuffers and WebAssembly memory (includes the arrayBuffers row)',
  },
  heapArrayBuffers: { label: 'memory: arrayBuffers Δ', unit: 'bytes', description: 'ArrayBuffer / Buffer backing stores (part of external)' },
  heapRss: { label: 'memory: RSS Δ', unit: 'bytes', description: 'resident memory of the whole process; also counts free heap pages kept by V8' },
};

export type Cell =
  | { readonly status: 'ok'; readonly value: number; readonly timing?: TimingStats }
  | { readonly status: 'n/a'; readonly reason: string }
  | { readonly status: 'failed'; readonly error: string };

export type MetricCells = Partial<Record<LibraryId, Cell>>;

export interface TraceSummary {
  readonly name: string;
  readonly kind: 'sequential' | 'concurrent';
  readonly path: string;
  readonly fileBytes: number;
  readonly txns: number;
  readonly patches: number;
  readonly agents: number;
  readonly finalLength: number;
  readonly hasAstral: boolean;
}

export interface TraceResult {
  readonly trace: TraceSummary;
  readonly cells: Record<MetricId, MetricCells>;
  /** How many events / updates / changes each library's history held. */
  readonly historyMessages: Partial<Record<LibraryId, number>>;
  /** Untimed preparation (history building) per library, in ms. */
  readonly preparationMs: Partial<Record<LibraryId, number>>;
  readonly notes: readonly string[];
}

export interface CorrectnessFailure {
  readonly trace: string;
  readonly library: LibraryId;
  readonly metric: MetricId | 'preparation';
  readonly detail: string;
}

export interface CoreBenchOptions {
  readonly tracePaths: readonly string[];
  readonly runs: number;
  readonly warmup: boolean;
  readonly libraries: readonly LibraryId[];
}

export interface CoreBenchReport {
  readonly benchmark: 'core';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly options: CoreBenchOptions;
  readonly machine: MachineInfo;
  readonly traces: readonly TraceResult[];
  readonly failures: readonly CorrectnessFailure[];
}

export function emptyCells(): Record<MetricId, MetricCells> {
  return {
    applyLocal: {},
    merge: {},
    live: {},
    load: {},
    encodedSize: {},
    heapUsed: {},
    heapExternal: {},
    heapArrayBuffers: {},
    heapRss: {},
  };
}
