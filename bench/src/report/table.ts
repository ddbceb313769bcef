/**
 * The core benchmark's Markdown table: one row per (trace, metric), one column per library, and the
 * ratios of Tandem to each other library (below 1 means Tandem is faster / smaller).
 */
import { LIBRARY_IDS, LIBRARY_LABELS, type LibraryId } from '../core/adapters/core-bench-adapter.js';
import { METRIC_IDS, METRICS, type Cell, type MetricId, type TraceResult } from '../core/core-results.js';
import { formatBytes, formatDurationWithSpread, formatExactBytes, formatRatio } from './units.js';

function formatCell(metric: MetricId, cell: Cell | undefined): string {
  if (cell === undefined) return '–';
  if (cell.status === 'n/a') return 'n/a';
  if (cell.status === 'failed') return cell.error.startsWith('final text differs') ? '**WRONG TEXT**' : '**FAILED**';
  if (METRICS[metric].unit === 'ms') {
    const t = cell.timing;
    return t === undefined ? formatDurationWithSpread(cell.value, cell.value, cell.value, 1) : formatDurationWithSpread(t.medianMs, t.minMs, t.maxMs, t.samplesMs.length);
  }
  return metric === 'encodedSize' ? formatExactBytes(cell.value) : formatBytes(cell.value);
}

function okValue(cell: Cell | undefined): number | undefined {
  return cell?.status === 'ok' ? cell.value : undefined;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

/** The libraries other than Tandem that a ratio column is printed for. */
function ratioPartners(libraries: readonly LibraryId[]): LibraryId[] {
  return libraries.includes('tandem') ? libraries.filter((id) => id !== 'tandem') : [];
}

/** The results table (Markdown), without notes. */
export function resultsTable(traces: readonly TraceResult[], libraries: readonly LibraryId[]): string {
  const partners = ratioPartners(libraries);
  const header = ['Trace', 'Metric', ...libraries.map((id) => LIBRARY_LABELS[id]), ...partners.map((id) => `Tandem/${LIBRARY_LABELS[id]}`)];
  const lines = [row(header), row(header.map((_, i) => (i < 2 ? '---' : '---:')))];
  for (const result of traces) {
    const traceLabel = `${result.trace.name} (${result.trace.kind})`;
    for (const metric of METRIC_IDS) {
      const cells = result.cells[metric];
      const tandem = okValue(cells.tandem);
      lines.push(
        row([
          traceLabel,
          METRICS[metric].label,
          ...libraries.map((id) => formatCell(metric, cells[id])),
          ...partners.map((id) => formatRatio(tandem, okValue(cells[id]))),
        ]),
      );
    }
  }
  return lines.join('\n');
}

/** What the rows mean, the run's conventions, and per-trace notes, as Markdown bullet lines. */
export function tableNotes(traces: readonly TraceResult[], runs: number, warmup: boolean): string {
  const lines = [
    `Timings: median of ${runs} run${runs === 1 ? '' : 's'}${warmup ? ' after one warm-up run' : ' (no warm-up)'}, with (min–max); full GC before each run.`,
    ...METRIC_IDS.map((metric) => `**${METRICS[metric].label}**: ${METRICS[metric].description}.`),
    'Memory rows are differences of `process.memoryUsage()` around loading the saved document in a fresh Node process (see bench/README.md); `external` includes `arrayBuffers`, so do not add them.',
    'Automerge keeps its document in WebAssembly memory, which is counted in `external` and never shrinks: its external row is the WebAssembly memory grown while loading (peak use during the load), an upper bound on what the loaded document keeps. Its JS heapUsed row is only the JavaScript wrapper.',
    'Yjs runs with its defaults (`gc: true`): the content of deleted text is dropped from its documents and saved files.',
    'Ratios divide the Tandem value by the other library\'s; "–" where a value is missing or not positive.',
  ];
  for (const result of traces) {
    for (const note of result.notes) lines.push(`${result.trace.name}: ${note}.`);
    const messages = LIBRARY_IDS.flatMap((id) => {
      const count = result.historyMessages[id];
      return count === undefined ? [] : [`${LIBRARY_LABELS[id]} ${count.toLocaleString('en-US')}`];
    });
    if (messages.length > 0) lines.push(`${result.trace.name}: messages in the merged history: ${messages.join(', ')}.`);
  }
  return lines.map((line) => `- ${line}`).join('\n');
}
