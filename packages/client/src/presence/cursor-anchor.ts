/**
 * Keeps a cursor anchored to the characters it points at: every edit of its text moves it through
 * core `transformPosition`, so a remote cursor stays on the same word while anyone types before it.
 * Positions are local (UTF-16 offsets of this replica's text).
 */
import { transformPosition, type Bias, type TextOp } from '@tandem/core';
import type { CursorRange } from '@tandem/protocol';

/** The text a cursor points into when it names none (the protocol's default). */
export const DEFAULT_TEXT = 'body';

export function cursorText(cursor: CursorRange): string {
  return cursor.text ?? DEFAULT_TEXT;
}

/**
 * `cursor` after `op` changed text `text`; the same object when it is in another text or did not
 * move. Bias 'after' for the author's own cursor (it follows what it typed), 'before' for others.
 */
export function moveCursor(cursor: CursorRange, text: string, op: TextOp, bias: Bias): CursorRange {
  if (cursorText(cursor) !== text) return cursor;
  const anchor = transformPosition(cursor.anchor, op, bias);
  const head = transformPosition(cursor.head, op, bias);
  if (anchor === cursor.anchor && head === cursor.head) return cursor;
  return withPositions(cursor, anchor, head);
}

/** A copy of `cursor` with other offsets (keeping `text` only when it was given). */
export function withPositions(cursor: CursorRange, anchor: number, head: number): CursorRange {
  return cursor.text === undefined ? { anchor, head } : { text: cursor.text, anchor, head };
}
