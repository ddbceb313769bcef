/**
 * The core benchmark run: for each trace and each library, measures apply local, merge from scratch,
 * load, encoded size and the memory held by a loaded document, checking every final text against the
 * trace's endContent. Failures are recorded per cell and collected; the run goes on.
 */
import { loadAdapter } from './adapters/adapter-registry.js';
import { LIBRARY_LABELS, type BenchDocument, type CoreBenchAdapter, type LibraryId, type LocallyEditedDocument, type RemoteHistory } from './adapters/core-bench-adapter.js';
import {
  emptyCells,
  METRIC_IDS,
  METRICS,
  type Cell,
  type CoreBenchOptions,
  type CorrectnessFailure,
  type MetricId,
  type TraceResult,
  type TraceSummary,
} from './core-results.js';
import { measureLoadedHeap } from './heap-measurement.js';
import { timeRuns, type TimingStats } from './timing.js';
import { loadBenchTrace, type BenchTrace } from './trace-file.js';
import type { Patch } from './trace-format.js';
import { progress } from '../progress-log.js';
import { formatDuration, formatExactBytes } from '../report/units.js';

/** The metrics measured on a saved document. */
const SAVED_DOCUMENT_METRICS: readonly MetricId[] = ['load', 'encodedSize', 'heapUsed', 'heapExternal', 'heapArrayBuffers', 'heapRss'];

/** A final text that differs from the trace's endContent. */
class TextMismatchError extends Error {
  override readonly name = 'TextMismatchError';
}

function checkText(actual: string, expected: string): void {
  if (actual === expected) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual.charCodeAt(i) === expected.charCodeAt(i)) i++;
  throw new TextMismatchError(
    `final text differs from endContent (length ${actual.length}, expected ${expected.length}; first difference at UTF-16 index ${i})`,
  );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function summarize(trace: BenchTrace): TraceSummary {
  return {
    name: trace.name,
    kind: trace.kind,
    path: trace.path,
    fileBytes: trace.fileBytes,
    txns: trace.txnCount,
    patches: trace.patchCount,
    agents: trace.kind === 'concurrent' ? trace.agentCount : 1,
    finalLength: trace.endContent.length,
    hasAstral: trace.hasAstral,
  };
}

/** The outcome of a workload that leaves no document behind, only a final text. */
class TextOnlyDocument implements BenchDocument {
  constructor(private readonly finalText: string) {}
  text(): string {
    return this.finalText;
  }
  save(): Uint8Array {
    throw new Error('a live-replicas run leaves no document to save');
  }
  release(): void {
    // Nothing held.
  }
}

interface DocumentAndText<D extends BenchDocument> {
  readonly doc: D;
  readonly text: string;
}

/** Measures the cells of one library on one trace. */
class LibraryTraceRun {
  private readonly label: string;

  constructor(
    private readonly adapter: CoreBenchAdapter,
    private readonly trace: BenchTrace,
    private readonly result: TraceResult,
    private readonly failures: CorrectnessFailure[],
    private readonly options: CoreBenchOptions,
  ) {
    this.label = `[${trace.name}] ${LIBRARY_LABELS[adapter.library]}`;
  }

  private get library(): LibraryId {
    return this.adapter.library;
  }

  private record(metric: MetricId, cell: Cell): void {
    this.result.cells[metric][this.library] = cell;
  }

  private fail(metric: MetricId | 'preparation', error: unknown): void {
    const detail = errorMessage(error);
    if (metric !== 'preparation') this.record(metric, { status: 'failed', error: detail });
    this.failures.push({ trace: this.trace.name, library: this.library, metric, detail });
    progress(`${this.label}: ${metric === 'preparation' ? 'preparing inputs' : METRICS[metric].label} FAILED: ${detail}`);
  }

  private notAvailable(metrics: readonly MetricId[], reason: string): void {
    for (const metric of metrics) this.record(metric, { status: 'n/a', reason });
  }

  /** Times `run` as `metric`; returns the last run's document (the caller releases it), or undefined. */
  private timed<D extends BenchDocument>(metric: MetricId, run: () => D): D | undefined {
    progress(`${this.label}: ${METRICS[metric].label}`);
    try {
      const timed = timeRuns(
        (): DocumentAndText<D> => {
          const doc = run();
          return { doc, text: doc.text() };
        },
        { runs: this.options.runs, warmup: this.options.warmup },
        {
          check: (value) => checkText(value.text, this.trace.endContent),
          release: (value) => value.doc.release(),
          onRun: (which, ms) => progress(`  ${which}: ${formatDuration(ms)}`),
        },
      );
      this.recordTiming(metric, timed.stats);
      return timed.last.doc;
    } catch (error) {
      this.fail(metric, error);
      return undefined;
    }
  }

  private recordTiming(metric: MetricId, stats: TimingStats): void {
    this.record(metric, { status: 'ok', value: stats.medianMs, timing: stats });
  }

  /** Untimed preparation step; reports its duration. */
  private prepare<T>(what: string, make: () => T): T | undefined {
    progress(`${this.label}: ${what} (untimed)`);
    const start = performance.now();
    try {
      const value = make();
      const ms = performance.now() - start;
      this.result.preparationMs[this.library] = (this.result.preparationMs[this.library] ?? 0) + ms;
      progress(`  done in ${formatDuration(ms)}`);
      return value;
    } catch (error) {
      this.fail('preparation', error);
      return undefined;
    }
  }

  private applyLocal(patches: readonly Patch[]): LocallyEditedDocument | undefined {
    return this.timed('applyLocal', () => this.adapter.applyLocal(patches));
  }

  private mergeHistory(history: RemoteHistory): BenchDocument | undefined {
    this.result.historyMessages[this.library] = history.messageCount;
    return this.timed('merge', () => history.mergeIntoFreshDocument());
  }

  /** Size, load time and loaded memory of a saved document. */
  private savedDocumentCells(saved: Uint8Array): void {
    this.record('encodedSize', { status: 'ok', value: saved.length });
    progress(`${this.label}: encoded size ${formatExactBytes(saved.length)}`);
    const loaded = this.timed('load', () => this.adapter.load(saved));
    loaded?.release();
    progress(`${this.label}: memory of a loaded document (fresh process)`);
    try {
      const heap = measureLoadedHeap(this.library, saved, this.trace.endContent.length);
      this.record('heapUsed', { status: 'ok', value: heap.heapUsed });
      this.record('heapExternal', { status: 'ok', value: heap.external });
      this.record('heapArrayBuffers', { status: 'ok', value: heap.arrayBuffers });
      this.record('heapRss', { status: 'ok', value: heap.rss });
    } catch (error) {
      for (const metric of ['heapUsed', 'heapExternal', 'heapArrayBuffers', 'heapRss'] as const) this.fail(metric, error);
    }
  }

  private saveAndRelease(doc: BenchDocument): Uint8Array | undefined {
    try {
      return this.prepare('saving the document', () => doc.save());
    } finally {
      doc.release();
    }
  }

  runSequential(patches: readonly Patch[]): void {
    this.notAvailable(['live'], 'sequential trace: one agent, nothing concurrent');
    const source = this.applyLocal(patches);
    if (source === undefined) {
      this.notAvailable(['merge', ...SAVED_DOCUMENT_METRICS], 'apply local failed');
      return;
    }
    let history: RemoteHistory | undefined;
    let saved: Uint8Array | undefined;
    try {
      history = this.prepare('exporting the history', () => source.exportHistory());
      saved = this.prepare('saving the document', () => source.save());
    } finally {
      source.release();
    }
    if (history === undefined) this.notAvailable(['merge'], 'history export failed');
    else this.mergeHistory(history)?.release();
    if (saved === undefined) this.notAvailable(SAVED_DOCUMENT_METRICS, 'save failed');
    else this.savedDocumentCells(saved);
  }

  runConcurrent(trace: Extract<BenchTrace, { kind: 'concurrent' }>): void {
    if (trace.flat === undefined) this.notAvailable(['applyLocal'], trace.flatNote);
    else this.applyLocal(trace.flat.patches)?.release();

    this.timed('live', () => new TextOnlyDocument(this.adapter.liveReplicas(trace)))?.release();

    const history = this.prepare('building the history from the concurrent trace', () => this.adapter.historyOfConcurrentTrace(trace));
    const merged = history === undefined ? undefined : this.mergeHistory(history);
    if (merged === undefined) {
      const reason = history === undefined ? 'history building failed' : 'merge failed';
      if (history === undefined) this.notAvailable(['merge'], reason);
      this.notAvailable(SAVED_DOCUMENT_METRICS, reason);
      return;
    }
    const saved = this.saveAndRelease(merged);
    if (saved === undefined) this.notAvailable(SAVED_DOCUMENT_METRICS, 'save failed');
    else this.savedDocumentCells(saved);
  }
}

/** Runs the whole core benchmark. */
export async function runCoreBench(options: CoreBenchOptions): Promise<{ traces: TraceResult[]; failures: CorrectnessFailure[] }> {
  const adapters = new Map<LibraryId, CoreBenchAdapter | Error>();
  for (const library of options.libraries) {
    try {
      adapters.set(library, await loadAdapter(library));
    } catch (error) {
      adapters.set(library, new Error(`${LIBRARY_LABELS[library]} adapter could not be loaded: ${errorMessage(error)}`));
      progress(`${LIBRARY_LABELS[library]}: adapter could not be loaded: ${errorMessage(error)}`);
    }
  }

  const traces: TraceResult[] = [];
  const failures: CorrectnessFailure[] = [];
  for (const path of options.tracePaths) {
    progress(`loading ${path}`);
    const trace = loadBenchTrace(path);
    const summary = summarize(trace);
    progress(
      `[${trace.name}] ${trace.kind}: ${trace.txnCount} txns, ${trace.patchCount} patches, final length ${trace.endContent.length}` +
        (trace.kind === 'concurrent' ? `, ${trace.agentCount} agents; ${trace.flatNote}` : ''),
    );
    const result: TraceResult = {
      trace: summary,
      cells: emptyCells(),
      historyMessages: {},
      preparationMs: {},
      notes: trace.kind === 'concurrent' ? [trace.flatNote] : [],
    };
    for (const library of options.libraries) {
      const adapter = adapters.get(library);
      if (adapter === undefined || adapter instanceof Error) {
        const detail = adapter?.message ?? 'adapter missing';
        for (const metric of METRIC_IDS) result.cells[metric][library] = { status: 'failed', error: detail };
        failures.push({ trace: trace.name, library, metric: 'preparation', detail });
        continue;
      }
      const run = new LibraryTraceRun(adapter, trace, result, failures, options);
      if (trace.kind === 'sequential') run.runSequential(trace.patches);
      else run.runConcurrent(trace);
    }
    traces.push(result);
  }
  return { traces, failures };
}
