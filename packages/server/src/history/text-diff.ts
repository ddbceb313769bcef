/**
 * The smallest single-splice edit from one text to another: keep the longest common prefix and
 * suffix, replace what lies between. REST writes and restores turn a whole new text into this one
 * operation, so concurrent edits elsewhere in the document merge instead of being overwritten, and
 * cursors outside the changed span stay where they are.
 */
import type { OpComponent, TextOp } from '@tandem/core';

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * The op turning `from` into `to` (empty when they are equal). Boundaries never fall inside a
 * surrogate pair: the core refuses ops that split one, and a pair is one character to a user.
 */
export function minimalEdit(from: string, to: string): TextOp {
  if (from === to) return [];
  const max = Math.min(from.length, to.length);
  let prefix = 0;
  while (prefix < max && from.charCodeAt(prefix) === to.charCodeAt(prefix)) prefix++;
  // A shared high surrogate whose low halves differ: the pair differs, so it is not common.
  if (prefix > 0 && isHigh(from.charCodeAt(prefix - 1))) prefix--;
  let suffix = 0;
  const room = max - prefix;
  while (suffix < room && from.charCodeAt(from.length - 1 - suffix) === to.charCodeAt(to.length - 1 - suffix)) suffix++;
  // Same on the other side: a common low surrogate whose high halves differ.
  if (suffix > 0 && isLow(from.charCodeAt(from.length - suffix))) suffix--;
  const removed = from.length - prefix - suffix;
  const inserted = to.slice(prefix, to.length - suffix);
  const op: OpComponent[] = [];
  if (prefix > 0) op.push({ type: 'retain', length: prefix });
  // Insert before delete: the core's canonical order, so the op is stored exactly as made.
  if (inserted.length > 0) op.push({ type: 'insert', content: inserted });
  if (removed > 0) op.push({ type: 'delete', length: removed });
  return op;
}
