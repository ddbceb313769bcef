/**
 * Color helpers for remote cursors: user colors arrive as CSS hex strings (`#rgb`, `#rgba`,
 * `#rrggbb`, `#rrggbbaa`, as the protocol allows) and selections need them translucent.
 */

/** `color` with its alpha replaced by `alpha` (0..1), as `rgba(…)`; a neutral gray when unreadable. */
export function translucent(color: string, alpha: number): string {
  const rgb = parseHex(color) ?? [128, 128, 128];
  return `rgba(${rgb[0]}, ${rgb[1]}, ${rgb[2]}, ${alpha})`;
}

/** A safe CSS color for inline styles: the hex color if valid, a gray otherwise (never attacker CSS). */
export function safeColor(color: string): string {
  return parseHex(color) === undefined ? '#808080' : color;
}

function parseHex(color: string): [number, number, number] | undefined {
  const m = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(color);
  if (m === null) return undefined;
  const hex = m[1]!;
  if (hex.length <= 4) return [0, 1, 2].map((i) => parseInt(hex[i]! + hex[i]!, 16)) as [number, number, number];
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}
