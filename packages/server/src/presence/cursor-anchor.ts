/**
 * Keeps a stored cursor anchored to the text it points into: offsets are only meaningful at one
 * server version, so every edit of that text moves them, or a joiner would be shown a cursor at a
 * stale offset. Mapping is core's `transformPosition`; this module only picks the text and bias.
 */
import { transformPosition, type Bias, type TextOp } from '@tandem/core';
import type { CursorRange } from '@tandem/protocol';

/** The text a cursor points into when it names none. */
export const DEFAULT_TEXT_NAME = 'body';

/**
 * `cursor` after `op` was applied to the text named `text`; the same object when it points into
 * another text or did not move (so callers can tell by identity that nothing changed).
 *
 * Bias 'before' keeps someone's cursor in front of text another user inserts exactly at it, as an
 * editor does; the author's own cursor takes 'after' to follow what it typed. Both ends share the
 * bias, so a collapsed cursor stays collapsed.
 */
export function moveCursor(cursor: CursorRange, text: string, op: TextOp, bias: Bias): CursorRange {
  if ((cursor.text ?? DEFAULT_TEXT_NAME) !== text) return cursor;
  const anchor = transformPosition(cursor.anchor, op, bias);
  const head = transformPosition(cursor.head, op, bias);
  if (anchor === cursor.anchor && head === cursor.head) return cursor;
  return cursor.text === undefined ? { anchor, head } : { text: cursor.text, anchor, head };
}
