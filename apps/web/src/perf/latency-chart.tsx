/**
 * The op-latency chart: p50, p95 and p99 over the last minute as lines, against a dashed
 * line at the 150 ms target. Plain SVG — a few polylines do not need a charting library — with
 * a text summary for screen readers.
 */
import type { Sample } from './metrics-sampler.js';
import { LATENCY_TARGET_MS } from './recommendations.js';

const W = 600;
const H = 180;
const PAD = { left: 40, right: 10, top: 10, bottom: 20 };
const SERIES = [
  { key: 'p50', label: 'p50', color: '#2563eb' },
  { key: 'p95', label: 'p95', color: '#d97706' },
  { key: 'p99', label: 'p99', color: '#dc2626' },
] as const;

export function LatencyChart({ samples, capacity }: { readonly samples: readonly Sample[]; readonly capacity: number }) {
  const values = samples.flatMap((s) => [s.latency.p50, s.latency.p95, s.latency.p99]).filter((v): v is number => v !== undefined);
  const top = Math.max(LATENCY_TARGET_MS * 1.4, ...values.map((v) => v * 1.1));
  // The line grows from the left until the window is full, then scrolls.
  const span = Math.max(samples.length, capacity) - 1;
  const x = (i: number): number => PAD.left + ((W - PAD.left - PAD.right) * i) / Math.max(1, span);
  const y = (v: number): number => PAD.top + (H - PAD.top - PAD.bottom) * (1 - Math.min(v, top) / top);
  const ticks = [0, LATENCY_TARGET_MS, Math.round(top / 50) * 50].filter((t, i, a) => a.indexOf(t) === i && t <= top);
  const latest = samples[samples.length - 1]?.latency;
  const summary =
    latest === undefined || latest.count === 0
      ? 'No edits measured yet.'
      : `Latest op latency: p50 ${Math.round(latest.p50 ?? 0)} ms, p95 ${Math.round(latest.p95 ?? 0)} ms, p99 ${Math.round(latest.p99 ?? 0)} ms; target ${LATENCY_TARGET_MS} ms.`;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary} preserveAspectRatio="none">
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="chart-grid" />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" className="chart-tick">
              {t}
            </text>
          </g>
        ))}
        <line x1={PAD.left} x2={W - PAD.right} y1={y(LATENCY_TARGET_MS)} y2={y(LATENCY_TARGET_MS)} className="chart-target" />
        <text x={W - PAD.right - 4} y={y(LATENCY_TARGET_MS) - 4} textAnchor="end" className="chart-target-label">
          target {LATENCY_TARGET_MS} ms
        </text>
        {SERIES.map((s) => {
          const points = samples
            .map((sample, i) => {
              const v = sample.latency[s.key];
              return v === undefined ? undefined : `${x(i).toFixed(1)},${y(v).toFixed(1)}`;
            })
            .filter((p): p is string => p !== undefined);
          if (points.length === 0) return null;
          return (
            <g key={s.key}>
              <polyline points={points.join(' ')} fill="none" stroke={s.color} strokeWidth={2} vectorEffect="non-scaling-stroke" />
              {points.length === 1 && <circle cx={points[0]!.split(',')[0]} cy={points[0]!.split(',')[1]} r={3} fill={s.color} />}
            </g>
          );
        })}
      </svg>
      <figcaption className="chart-legend">
        {SERIES.map((s) => (
          <span key={s.key}>
            <i style={{ backgroundColor: s.color }} /> {s.label}
          </span>
        ))}
        <span>
          <i className="legend-target" /> target
        </span>
        <span className="muted">ms, last minute</span>
      </figcaption>
    </figure>
  );
}
