/**
 * How numbers are written for humans in progress lines and tables: durations (µs / ms / s), byte
 * counts (exact, or in KiB / MiB / GiB) and ratios.
 */

/** Three significant figures without exponent notation. */
function threeFigures(value: number): string {
  const size = Math.abs(value);
  if (size >= 100) return value.toFixed(0);
  if (size >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

type DurationUnit = { readonly name: string; readonly perMs: number };

function durationUnit(ms: number): DurationUnit {
  if (ms >= 1000) return { name: 's', perMs: 1 / 1000 };
  if (ms >= 1) return { name: 'ms', perMs: 1 };
  return { name: 'µs', perMs: 1000 };
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const unit = durationUnit(ms);
  return `${threeFigures(ms * unit.perMs)} ${unit.name}`;
}

/** A median with its spread, all in the median's unit: "12.3 ms (11.9–13.0)". */
export function formatDurationWithSpread(medianMs: number, minMs: number, maxMs: number, runs: number): string {
  if (runs < 2) return formatDuration(medianMs);
  const unit = durationUnit(medianMs);
  const scaled = (ms: number): string => threeFigures(ms * unit.perMs);
  return `${scaled(medianMs)} ${unit.name} (${scaled(minMs)}–${scaled(maxMs)})`;
}

/** An exact byte count with thousands separators: "129,263 B". */
export function formatExactBytes(bytes: number): string {
  return `${Math.round(bytes).toLocaleString('en-US')} B`;
}

/** A byte count (possibly negative) in B, KiB, MiB or GiB. */
export function formatBytes(bytes: number): string {
  const size = Math.abs(bytes);
  if (size >= 1024 * 1024 * 1024) return `${threeFigures(bytes / (1024 * 1024 * 1024))} GiB`;
  if (size >= 1024 * 1024) return `${threeFigures(bytes / (1024 * 1024))} MiB`;
  if (size >= 1024) return `${threeFigures(bytes / 1024)} KiB`;
  return `${Math.round(bytes)} B`;
}

/** A ratio such as "0.52×", or "–" when it is not meaningful (missing values, zero or negative). */
export function formatRatio(numerator: number | undefined, denominator: number | undefined): string {
  if (numerator === undefined || denominator === undefined) return '–';
  if (!(numerator > 0) || !(denominator > 0)) return '–';
  const ratio = numerator / denominator;
  if (ratio < 0.01) return '<0.01×';
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}
