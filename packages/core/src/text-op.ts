/**
 * Plain OT text operations, the wire format of text changes: the component types, validation of
 * untrusted ops, the canonical form, apply, compose, transform, invert, cursor mapping and
 * conversion to and from editor splice patches.
 *
 * Positions and lengths are UTF-16 code units (JS string indices). An op need not cover the whole
 * document: whatever it leaves uncovered at the end is kept (implicit trailing retain).
 */
import { CoreErrorCode, TandemError } from './errors.js';
import { componentLength, compose, describe, invalid, normalize, OpBuilder, splitsPair } from './text-op-transform.js';

export { compose, normalize, transform } from './text-op-transform.js';

export type OpComponent =
  | { readonly type: 'retain'; readonly length: number }
  | { readonly type: 'insert'; readonly content: string }
  | { readonly type: 'delete'; readonly length: number };
export type TextOp = readonly OpComponent[];
/** Which of two concurrent inserts at the same position goes first ('left'). */
export type Side = 'left' | 'right';
/** Whether a cursor stays before ('before') or moves after ('after') text inserted exactly at it. */
export type Bias = 'before' | 'after';

export interface CheckOpOptions {
  /** Most components accepted (before normalization). Default {@link DEFAULT_MAX_COMPONENTS}. */
  readonly maxComponents?: number;
}

/** Default limit on the number of components of an untrusted op. */
export const DEFAULT_MAX_COMPONENTS = 100_000;

/** Matches an unpaired surrogate: in `u` mode a well-formed pair is one code point, not a match. */
const LONE_SURROGATE = /\p{Cs}/u;

// ---------------------------------------------------------------------------------------------
// Validation and lengths

/**
 * Validates an untrusted op (for example parsed JSON) and returns it normalized. Every component
 * must be an object with exactly `type` and `length` (retain, delete: a positive safe integer) or
 * `type` and `content` (insert: a non-empty string without unpaired surrogates).
 * @throws TandemError ERR_INVALID_OP, ERR_SPLIT_SURROGATE, or ERR_LIMIT_EXCEEDED when the op has
 *   more than `maxComponents` components.
 */
export function checkOp(value: unknown, options: CheckOpOptions = {}): TextOp {
  const max = options.maxComponents ?? DEFAULT_MAX_COMPONENTS;
  if (!Array.isArray(value)) throw invalid(`an op must be an array of components, got ${describe(value)}`);
  const items: readonly unknown[] = value;
  if (items.length > max) {
    throw new TandemError(CoreErrorCode.LimitExceeded, `op has ${items.length} components, more than the limit of ${max}`);
  }
  let base = 0;
  for (let i = 0; i < items.length; i++) {
    const c: unknown = items[i];
    if (typeof c !== 'object' || c === null || Array.isArray(c)) {
      throw invalid(`component ${i}: must be an object, got ${describe(c)}`);
    }
    const fields = c as Record<string, unknown>;
    const type = fields['type'];
    if (type !== 'retain' && type !== 'insert' && type !== 'delete') {
      throw invalid(`component ${i}: unknown type ${describe(type)}`);
    }
    const field = type === 'insert' ? 'content' : 'length';
    const keys = Object.keys(fields);
    for (const k of keys) {
      if (k !== 'type' && k !== field) throw invalid(`component ${i}: unexpected field ${describe(k)} in ${type}`);
    }
    if (!keys.includes(field)) throw invalid(`component ${i}: ${type} is missing ${describe(field)}`);
    const v = fields[field];
    if (type === 'insert') {
      if (typeof v !== 'string' || v.length === 0) {
        throw invalid(`component ${i}: insert content must be a non-empty string, got ${describe(v)}`);
      }
      const at = v.search(LONE_SURROGATE);
      if (at >= 0) {
        throw new TandemError(CoreErrorCode.SplitSurrogate, `component ${i}: insert content has an unpaired surrogate at index ${at}`);
      }
    } else {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
        throw invalid(`component ${i}: ${type} length must be a positive integer, got ${describe(v)}`);
      }
      base += v;
    }
  }
  if (!Number.isSafeInteger(base)) throw invalid(`op base length ${base} is not a safe integer`);
  return normalize(items as TextOp);
}

/** Length of the document prefix the op covers: the sum of its retain and delete lengths. */
export function baseLength(op: TextOp): number {
  let n = 0;
  for (const c of op) if (c.type !== 'insert') n += c.length;
  return n;
}

/** Total length of the text the op inserts. */
export function insertedLength(op: TextOp): number {
  let n = 0;
  for (const c of op) if (c.type === 'insert') n += c.content.length;
  return n;
}

/** Total length of the text the op deletes. */
export function deletedLength(op: TextOp): number {
  let n = 0;
  for (const c of op) if (c.type === 'delete') n += c.length;
  return n;
}

/**
 * Length of the document after applying `op` to a document of `docLength` code units.
 * @throws TandemError ERR_BASE_LENGTH_MISMATCH when the op covers more than the document.
 */
export function targetLength(op: TextOp, docLength: number): number {
  checkBaseLength(op, docLength);
  return docLength - deletedLength(op) + insertedLength(op);
}

/** True when the op changes nothing (it only retains, or is empty). */
export function isNoop(op: TextOp): boolean {
  return op.every((c) => componentLength(c) === 0 || c.type === 'retain');
}

function checkBaseLength(op: TextOp, docLength: number): void {
  const base = baseLength(op);
  if (base > docLength) {
    throw new TandemError(CoreErrorCode.BaseLengthMismatch, `op base length ${base} exceeds document length ${docLength}`);
  }
}

/**
 * Checks `op` against `doc` without changing anything and returns it normalized: the base length
 * fits, no component boundary splits a surrogate pair of `doc`, inserted text has no unpaired
 * surrogate. Lengths and boundaries are those of `op` as given, explicit trailing retain included.
 */
function checkAgainst(doc: string, op: TextOp): TextOp {
  if (typeof doc !== 'string') throw new TypeError(`document must be a string, got ${typeof doc}`);
  const norm = normalize(op);
  checkBaseLength(op, doc.length);
  let pos = 0;
  for (let i = 0; i < op.length; i++) {
    const c = op[i] as OpComponent;
    if (splitsPair(doc, pos)) {
      throw new TandemError(CoreErrorCode.SplitSurrogate, `op component ${i} (${c.type}) starts at ${pos}, inside a surrogate pair`);
    }
    if (c.type === 'insert') {
      const at = c.content.search(LONE_SURROGATE);
      if (at >= 0) throw new TandemError(CoreErrorCode.SplitSurrogate, `op component ${i}: insert content has an unpaired surrogate at index ${at}`);
    } else {
      pos += c.length;
    }
  }
  if (splitsPair(doc, pos)) throw new TandemError(CoreErrorCode.SplitSurrogate, `op ends at ${pos}, inside a surrogate pair`);
  return norm;
}

// ---------------------------------------------------------------------------------------------
// The algebra

/**
 * Applies `op` to `doc`. Everything is checked before the result is built.
 * @throws TandemError ERR_BASE_LENGTH_MISMATCH when the op covers more than the document,
 *   ERR_SPLIT_SURROGATE when a component boundary splits a surrogate pair of `doc` or inserted
 *   text has an unpaired surrogate, ERR_INVALID_OP on a malformed component.
 */
export function apply(doc: string, op: TextOp): string {
  const norm = checkAgainst(doc, op);
  if (norm.length === 0) return doc;
  const parts: string[] = [];
  let pos = 0;
  for (const c of norm) {
    if (c.type === 'retain') {
      parts.push(doc.slice(pos, pos + c.length));
      pos += c.length;
    } else if (c.type === 'insert') {
      parts.push(c.content);
    } else {
      pos += c.length;
    }
  }
  if (pos < doc.length) parts.push(doc.slice(pos));
  return parts.join('');
}

/**
 * The op that undoes `op` on the document it was applied to:
 * `apply(apply(doc, op), invert(op, doc)) === doc`. Needs `doc` to restore deleted text.
 * @throws TandemError as {@link apply} does when `op` does not apply to `doc`.
 */
export function invert(op: TextOp, doc: string): TextOp {
  const norm = checkAgainst(doc, op);
  const out = new OpBuilder();
  let pos = 0;
  for (const c of norm) {
    if (c.type === 'retain') {
      out.retain(c.length);
      pos += c.length;
    } else if (c.type === 'insert') {
      out.delete(c.content.length);
    } else {
      out.insert(doc.slice(pos, pos + c.length));
      pos += c.length;
    }
  }
  return out.done();
}

/**
 * Maps a cursor position through `op`. An insert exactly at `pos` leaves the cursor before it with
 * bias 'before' and moves it past it with 'after'. A position strictly inside a deleted range
 * collapses to where the range was, which (inserts preceding the deletes they touch) is just after
 * any text inserted there.
 * @throws TandemError ERR_INVALID_OP when `pos` is not a non-negative integer.
 */
export function transformPosition(pos: number, op: TextOp, bias: Bias = 'after'): number {
  if (!Number.isSafeInteger(pos) || pos < 0) throw invalid(`position must be a non-negative integer, got ${describe(pos)}`);
  if (bias !== 'before' && bias !== 'after') throw new TypeError(`bias must be 'before' or 'after', got ${describe(bias)}`);
  let base = 0;
  let out = 0;
  for (const c of normalize(op)) {
    if (c.type === 'retain') {
      if (pos < base + c.length) return out + (pos - base);
      base += c.length;
      out += c.length;
    } else if (c.type === 'insert') {
      // Here pos >= base: earlier components returned for anything before.
      if (pos === base && bias === 'before') return out;
      out += c.content.length;
    } else {
      if (pos < base + c.length) return out;
      base += c.length;
    }
  }
  return out + (pos - base);
}

// ---------------------------------------------------------------------------------------------
// Editor patches

function checkCount(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalid(`${what} must be a non-negative integer, got ${describe(n)}`);
  return n;
}

function checkInsertText(what: string, s: unknown): string {
  if (typeof s !== 'string') throw invalid(`${what} must be a string, got ${describe(s)}`);
  const at = s.search(LONE_SURROGATE);
  if (at >= 0) throw new TandemError(CoreErrorCode.SplitSurrogate, `${what} has an unpaired surrogate at index ${at}`);
  return s;
}

/**
 * The op of one splice: delete `del` code units at `pos`, then insert `ins` at `pos`.
 * @throws TandemError ERR_INVALID_OP on bad counts, ERR_SPLIT_SURROGATE on an unpaired surrogate.
 */
export function opFromPatch(pos: number, del: number, ins: string): TextOp {
  return patchOp('patch', pos, del, ins);
}

function patchOp(what: string, pos: unknown, del: unknown, ins: unknown): TextOp {
  const p = checkCount(`${what} position`, pos);
  const d = checkCount(`${what} delete count`, del);
  const s = checkInsertText(`${what} insert text`, ins);
  const out = new OpBuilder();
  out.retain(p);
  out.insert(s);
  out.delete(d);
  return out.done();
}

/**
 * The op of a list of splices `[pos, del, ins]`, applied in order, each against the result of the
 * previous one (the way editors report a transaction's changes).
 * @throws TandemError as {@link opFromPatch}, naming the index of the bad patch.
 */
export function opFromPatches(patches: readonly (readonly [number, number, string])[]): TextOp {
  if (!Array.isArray(patches)) throw invalid(`patches must be an array, got ${describe(patches)}`);
  let op: TextOp = [];
  for (let i = 0; i < patches.length; i++) {
    const p: unknown = patches[i];
    if (!Array.isArray(p) || p.length !== 3) throw invalid(`patch ${i} must be [pos, del, ins], got ${describe(p)}`);
    const fields: readonly unknown[] = p;
    const next = patchOp(`patch ${i}`, fields[0], fields[1], fields[2]);
    op = i === 0 ? next : compose(op, next);
  }
  return op;
}

/**
 * Splice patches `[pos, del, ins]` that, applied in order each to the result of the previous one,
 * have the effect of `op`. One patch per edited region, in document order.
 */
export function patchesFromOp(op: TextOp): Array<[pos: number, del: number, ins: string]> {
  const patches: Array<[number, number, string]> = [];
  const norm = normalize(op);
  let out = 0;
  for (let i = 0; i < norm.length; i++) {
    const c = norm[i] as OpComponent;
    if (c.type === 'retain') {
      out += c.length;
      continue;
    }
    // Canonical form: an insert may be followed by the delete it touches; they make one splice.
    let ins = '';
    let del = 0;
    if (c.type === 'insert') {
      ins = c.content;
      const next = norm[i + 1];
      if (next?.type === 'delete') {
        del = next.length;
        i++;
      }
    } else {
      del = c.length;
    }
    patches.push([out, del, ins]);
    out += ins.length;
  }
  return patches;
}
