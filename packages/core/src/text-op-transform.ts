/**
 * The op algebra on the canonical form: the builder and reader of normalized ops, `normalize`,
 * `compose` and `transform`. Split from text-op.ts (which re-exports the public functions) to keep
 * each file small; import from text-op.js.
 */
import { CoreErrorCode, TandemError } from './errors.js';
import type { OpComponent, Side, TextOp } from './text-op.js';

/** @internal An ERR_INVALID_OP error. */
export function invalid(message: string): TandemError {
  return new TandemError(CoreErrorCode.InvalidOp, message);
}

/** @internal A short, safe rendering of an untrusted value for error messages. */
export function describe(v: unknown): string {
  if (typeof v === 'string') return truncate(JSON.stringify(v));
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || typeof v !== 'object') return String(v);
  try {
    return truncate(JSON.stringify(v) ?? typeof v);
  } catch {
    return Array.isArray(v) ? 'array' : 'object';
  }
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** @internal True when offset `i` falls between the two halves of a surrogate pair of `s`. */
export function splitsPair(s: string, i: number): boolean {
  if (i <= 0 || i >= s.length) return false;
  const lo = s.charCodeAt(i);
  const hi = s.charCodeAt(i - 1);
  return lo >= 0xdc00 && lo <= 0xdfff && hi >= 0xd800 && hi <= 0xdbff;
}

/** @internal Units a component covers (retain, delete) or adds (insert). */
export function componentLength(c: OpComponent): number {
  return c.type === 'insert' ? c.content.length : c.length;
}

/**
 * @internal Accumulates components in canonical form: zero lengths dropped, neighbours of the same
 * type merged, inserts placed before the deletes they touch, trailing retain dropped. Single use.
 */
export class OpBuilder {
  private readonly out: OpComponent[] = [];
  private retainLen = 0;
  private inserts: string[] = [];
  private deleteLen = 0;

  retain(n: number): void {
    if (n <= 0) return;
    this.flushEdit();
    this.retainLen += n;
  }
  insert(s: string): void {
    if (s.length === 0) return;
    this.flushRetain();
    this.inserts.push(s);
  }
  delete(n: number): void {
    if (n <= 0) return;
    this.flushRetain();
    this.deleteLen += n;
  }
  push(c: OpComponent): void {
    if (c.type === 'insert') this.insert(c.content);
    else if (c.type === 'delete') this.delete(c.length);
    else this.retain(c.length);
  }
  /** The op built so far; the pending retain is dropped because it is implicit. */
  done(): TextOp {
    this.flushEdit();
    return this.out;
  }
  private flushRetain(): void {
    if (this.retainLen > 0) this.out.push({ type: 'retain', length: this.retainLen });
    this.retainLen = 0;
  }
  private flushEdit(): void {
    // Joining once keeps merging many small inserts linear.
    if (this.inserts.length > 0) this.out.push({ type: 'insert', content: this.inserts.join('') });
    if (this.deleteLen > 0) this.out.push({ type: 'delete', length: this.deleteLen });
    this.inserts = [];
    this.deleteLen = 0;
  }
}

/**
 * Reads a normalized op a piece at a time, splitting components on demand. Past the end it reads
 * as an endless retain, which is what the implicit trailing retain means.
 */
class OpReader {
  private i = 0;
  private offset = 0;
  constructor(private readonly op: TextOp) {}

  hasMore(): boolean {
    return this.i < this.op.length;
  }
  peekType(): OpComponent['type'] {
    return this.op[this.i]?.type ?? 'retain';
  }
  peekLength(): number {
    const c = this.op[this.i];
    return c === undefined ? Infinity : componentLength(c) - this.offset;
  }
  /** Takes up to `max` units of the current component. */
  take(max: number): OpComponent {
    const c = this.op[this.i];
    if (c === undefined) return { type: 'retain', length: max };
    const len = componentLength(c);
    const n = Math.min(max, len - this.offset);
    const start = this.offset;
    if (start + n === len) {
      this.i++;
      this.offset = 0;
    } else {
      this.offset += n;
    }
    if (c.type !== 'insert') return { type: c.type, length: n };
    if (n === len) return c;
    // Only compose cuts inserted text; a cut inside a pair means the later op splits a character.
    if (splitsPair(c.content, start) || splitsPair(c.content, start + n)) {
      throw new TandemError(CoreErrorCode.SplitSurrogate, 'an op boundary splits a surrogate pair inside inserted text');
    }
    return { type: 'insert', content: c.content.slice(start, start + n) };
  }
}

/**
 * Returns the canonical form of `op`: no zero-length components, neighbours of the same type
 * merged, an insert before the delete it touches, no trailing retain. Ops equal in effect on every
 * document have equal canonical forms. Cheap sanity checks guard the algorithms against garbage
 * (negative or fractional lengths would make them loop or misbehave).
 * @throws TandemError ERR_INVALID_OP on a component of the wrong shape.
 */
export function normalize(op: TextOp): TextOp {
  if (!Array.isArray(op)) throw invalid(`an op must be an array of components, got ${describe(op)}`);
  // Most ops arrive canonical already (every op this library builds is): hand them back as they are.
  if (isCanonical(op)) return op;
  const out = new OpBuilder();
  let base = 0;
  for (let i = 0; i < op.length; i++) {
    const c: unknown = op[i];
    if (typeof c !== 'object' || c === null) throw invalid(`component ${i}: must be an object, got ${describe(c)}`);
    const comp = c as OpComponent;
    if (comp.type === 'insert') {
      if (typeof comp.content !== 'string') throw invalid(`component ${i}: insert content must be a string, got ${describe(comp.content)}`);
    } else if (comp.type === 'retain' || comp.type === 'delete') {
      if (!Number.isSafeInteger(comp.length) || comp.length < 0) {
        throw invalid(`component ${i}: ${comp.type} length must be a non-negative integer, got ${describe(comp.length)}`);
      }
      base += comp.length;
    } else {
      throw invalid(`component ${i}: unknown type ${describe((comp as { type: unknown }).type)}`);
    }
    out.push(comp);
  }
  if (!Number.isSafeInteger(base)) throw invalid(`op base length ${base} is not a safe integer`);
  return out.done();
}

/** True when `op` is already in canonical form (and well formed), so normalizing would copy it unchanged. */
function isCanonical(op: TextOp): boolean {
  let prev = '';
  for (let i = 0; i < op.length; i++) {
    const c = op[i] as OpComponent | null;
    if (typeof c !== 'object' || c === null) return false;
    const type = c.type;
    if (type === prev) return false;
    if (type === 'insert') {
      if (typeof c.content !== 'string' || c.content.length === 0 || prev === 'delete') return false;
    } else if (type === 'retain' || type === 'delete') {
      if (!Number.isSafeInteger(c.length) || c.length <= 0) return false;
    } else {
      return false;
    }
    prev = type;
  }
  return prev !== 'retain';
}

/**
 * Composes two consecutive ops: the result applied once equals `a` then `b`, on every document
 * where both apply. Neither op needs to cover the whole document.
 * @throws TandemError ERR_SPLIT_SURROGATE when `b` cuts a surrogate pair inserted by `a`.
 */
export function compose(a: TextOp, b: TextOp): TextOp {
  const ra = new OpReader(normalize(a));
  const rb = new OpReader(normalize(b));
  const out = new OpBuilder();
  while (rb.hasMore()) {
    // a's deletes produce no text, so b never sees them: they pass straight through.
    if (ra.peekType() === 'delete') {
      out.push(ra.take(Infinity));
      continue;
    }
    if (rb.peekType() === 'insert') {
      out.push(rb.take(Infinity));
      continue;
    }
    const n = Math.min(ra.peekLength(), rb.peekLength());
    const ca = ra.take(n);
    const cb = rb.take(n);
    if (cb.type === 'retain') out.push(ca);
    else if (ca.type === 'retain') out.delete(n);
    // else b deletes text a inserted: neither leaves a trace.
  }
  while (ra.hasMore()) out.push(ra.take(Infinity));
  return out.done();
}

/**
 * Transforms `a` against the concurrent op `b` (both made on the same document) and returns a',
 * which has `a`'s effect when applied after `b`. Ties between inserts at the same position go to
 * `side`: 'left' puts `a`'s text first. The two directions converge (TP1):
 * `apply(apply(d, a), transform(b, a, 'right')) === apply(apply(d, b), transform(a, b, 'left'))`.
 */
export function transform(a: TextOp, b: TextOp, side: Side): TextOp {
  if (side !== 'left' && side !== 'right') throw new TypeError(`side must be 'left' or 'right', got ${describe(side)}`);
  const ra = new OpReader(normalize(a));
  const rb = new OpReader(normalize(b));
  const out = new OpBuilder();
  while (ra.hasMore()) {
    const tb = rb.peekType();
    if (ra.peekType() === 'insert' && (side === 'left' || tb !== 'insert')) {
      out.push(ra.take(Infinity));
      continue;
    }
    if (tb === 'insert') {
      // Text b inserted is already in the document a' applies to: step over it.
      out.retain(componentLength(rb.take(Infinity)));
      continue;
    }
    const n = Math.min(ra.peekLength(), rb.peekLength());
    const ca = ra.take(n);
    rb.take(n);
    // When b deleted this range, a's retain or delete of it has nothing left to act on.
    if (tb === 'retain') out.push(ca);
  }
  return out.done();
}

