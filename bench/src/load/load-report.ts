/**
 * How a load run reads for a person: the live progress line (offered and achieved rate over the last
 * second, latency percentiles so far, errors) and the final summary (rates, percentiles, a latency
 * histogram drawn with bars, client issues).
 */
import { formatDuration } from '../report/units.js';
import type { LatencyHistogram } from './histogram.js';
import type { LoadProgress, LoadResult, LoadTotals } from './load-coordinator.js';

function ms(value: number): string {
  return Number.isFinite(value) ? formatDuration(value) : '–';
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function errorTotal(t: LoadTotals): number {
  return Object.values(t.issues.errors).reduce((a, b) => a + b, 0);
}

export function percentiles(h: LatencyHistogram): string {
  return `p50 ${ms(h.percentile(0.5))}  p95 ${ms(h.percentile(0.95))}  p99 ${ms(h.percentile(0.99))}  max ${ms(h.maxMs)}`;
}

export function progressLine(p: LoadProgress): string {
  const t = p.totals;
  const seconds = Math.round(t.elapsedMs / 1000);
  const extra = [
    t.issues.rateLimited > 0 ? `rate-limited ${count(t.issues.rateLimited)}` : '',
    t.issues.disconnects > 0 ? `disconnects ${count(t.issues.disconnects)}` : '',
    t.skipped > 0 ? `generator behind: ${count(t.skipped)} skipped` : '',
  ].filter((s) => s !== '');
  return (
    `[${String(seconds).padStart(4)} s] offered ${count(p.offeredRate)}/s  achieved ${count(p.deliveredRate)}/s  in flight ${count(t.outstanding)}  | ` +
    `${percentiles(t.histogram)}  | errors ${count(errorTotal(t))}${extra.length > 0 ? `  ${extra.join('  ')}` : ''}`
  );
}

function histogramBars(h: LatencyHistogram): string[] {
  const ranges = h.coarseRanges();
  const most = Math.max(1, ...ranges.map((r) => r.count));
  const label = (v: number): string => (v === Infinity ? '∞' : ms(v));
  return ranges.map((r) => {
    const bar = '█'.repeat(Math.round((40 * r.count) / most));
    const share = ((100 * r.count) / Math.max(1, h.count)).toFixed(1);
    return `  ${`${label(r.fromMs)} – ${label(r.toMs)}`.padEnd(22)} ${count(r.count).padStart(10)} ${share.padStart(5)} %  ${bar}`;
  });
}

export function summary(result: LoadResult): string {
  const { measured, final } = result;
  const seconds = result.plan.durationMs / 1000;
  const setup = [...result.connectMs].sort((a, b) => a - b);
  const at = (q: number): number => setup[Math.min(setup.length - 1, Math.floor(q * setup.length))] ?? NaN;
  const lines = [
    `Clients: ${count(result.clients)} on ${count(result.plan.docs)} document(s); connection setup p50 ${ms(at(0.5))}, p99 ${ms(at(0.99))}`,
    `Offered: ${count(measured.offered / seconds)} edits/s (${count(measured.offered)} in ${seconds} s); made ${count(measured.made)}${measured.skipped > 0 ? `, ${count(measured.skipped)} skipped (the generator fell behind)` : ''}${measured.failed > 0 ? `, ${count(measured.failed)} not made (client closed or stopped after a refused operation)` : ''}`,
    `Achieved: ${count(measured.delivered / seconds)} edits/s applied by every other client within the window; ${count(final.delivered)} delivered in all, ${count(final.undelivered)} never delivered`,
    `Latency (edit made → applied by every other client of its document), ${count(final.histogram.count)} edits:`,
    `  ${percentiles(final.histogram)}  mean ${ms(final.histogram.meanMs)}`,
    ...(final.undelivered > 0 ? ['  (undelivered edits count at their age when the run ended: a lower bound)'] : []),
    'Histogram:',
    ...histogramBars(final.histogram),
    `Client CPU: ${((100 * measured.clientCpuMs) / result.plan.durationMs).toFixed(0)} % of one core over the window`,
    `Errors: ${errorTotal(final) === 0 ? 'none' : Object.entries(final.issues.errors).map(([c, n]) => `${c} × ${count(n)}`).join(', ')}; rate-limited retries ${count(final.issues.rateLimited)}; disconnects ${count(final.issues.disconnects)}`,
    ...final.issues.samples.map((s) => `  ${s}`),
  ];
  return lines.join('\n');
}
