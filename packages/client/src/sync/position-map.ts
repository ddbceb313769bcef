/**
 * Maps a text position between the server's text (the events the server confirmed) and this
 * replica's text (those plus the edits not confirmed yet). Cursor offsets on the wire are server
 * offsets, while an app works in local ones; the two differ only while edits are unconfirmed.
 *
 * The mapping narrows the two texts to the span where they differ (common prefix and suffix).
 * That is exact when the unconfirmed edits form one contiguous region — someone typing in one
 * place, the overwhelmingly common case — and a close approximation otherwise; a cursor inside
 * the differing span keeps its offset into it, clamped.
 */

/** The position in `to` corresponding to `pos` in `from`. */
export function mapPosition(from: string, to: string, pos: number): number {
  if (from === to) return Math.min(pos, to.length);
  const max = Math.min(from.length, to.length);
  let prefix = 0;
  while (prefix < max && from.charCodeAt(prefix) === to.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && from.charCodeAt(from.length - 1 - suffix) === to.charCodeAt(to.length - 1 - suffix)) suffix++;
  if (pos <= prefix) return pos;
  if (pos >= from.length - suffix) return Math.max(0, Math.min(to.length, pos + (to.length - from.length)));
  const changedInTo = to.length - suffix - prefix;
  return prefix + Math.min(pos - prefix, changedInTo);
}
