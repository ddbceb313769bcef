/**
 * Checks and inverts a text operation against a Rope without flattening it: local edits must be
 * validated (length, surrogate pairs) and remembered for undo at the cost of the edit, not of the
 * document.
 */
import { TandemError, CoreErrorCode } from './errors.js';
import type { Rope } from './rope.js';
import type { OpComponent, TextOp } from './text-op.js';
import { baseLength } from './text-op.js';

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** True when position `pos` falls between the two halves of a surrogate pair of `rope`. */
export function splitsPairAt(rope: Rope, pos: number): boolean {
  return pos > 0 && pos < rope.length && isHigh(rope.charCodeAt(pos - 1)) && isLow(rope.charCodeAt(pos));
}

/**
 * Throws ERR_BASE_LENGTH_MISMATCH when `op` reaches past the end of `rope`, ERR_SPLIT_SURROGATE when
 * one of its boundaries falls inside a surrogate pair. `op` is already structurally valid.
 */
export function checkOpOnRope(rope: Rope, op: TextOp, name: string): void {
  const base = baseLength(op);
  if (base > rope.length) {
    throw new TandemError(CoreErrorCode.BaseLengthMismatch, `op on text "${name}" covers ${base} code units but the text has length ${rope.length}`);
  }
  let pos = 0;
  for (const c of op) {
    if (splitsPairAt(rope, pos)) throw splitError(name, pos);
    if (c.type !== 'insert') pos += c.length;
  }
  if (splitsPairAt(rope, pos)) throw splitError(name, pos);
}

function splitError(name: string, pos: number): TandemError {
  return new TandemError(CoreErrorCode.SplitSurrogate, `op on text "${name}" has a boundary at ${pos}, inside a surrogate pair`);
}

/** The op that undoes `op` on the text `rope` holds now (before `op` is applied). */
export function invertOnRope(rope: Rope, op: TextOp): TextOp {
  const out: OpComponent[] = [];
  let pos = 0;
  for (const c of op) {
    if (c.type === 'retain') {
      out.push(c);
      pos += c.length;
    } else if (c.type === 'insert') {
      out.push({ type: 'delete', length: c.content.length });
    } else {
      out.push({ type: 'insert', content: rope.slice(pos, pos + c.length) });
      pos += c.length;
    }
  }
  return out;
}
