/**
 * Tests of plain OT text operations: the algebra laws (TP1, compose, invert) on random documents
 * with astral characters, checked against a small character-level model, plus cursor mapping,
 * splice patches and validation of hostile input.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreErrorCode, TandemError } from '../src/errors.js';
import {
  apply,
  baseLength,
  checkOp,
  compose,
  deletedLength,
  insertedLength,
  invert,
  isNoop,
  normalize,
  opFromPatch,
  opFromPatches,
  patchesFromOp,
  targetLength,
  transform,
  transformPosition,
  type Bias,
  type OpComponent,
  type TextOp,
} from '../src/text-op.js';
import { type Rng, withSeed } from './support/random.js';

// ---------------------------------------------------------------------------------------------
// Generators

/** Code-unit offsets of every code-point boundary of `s` (0 and s.length included). */
function boundaries(s: string): number[] {
  const out = [0];
  let o = 0;
  for (const ch of s) {
    o += ch.length;
    out.push(o);
  }
  return out;
}

function randomDoc(rng: Rng): string {
  return rng.text(rng.range(0, 40));
}

/**
 * A random op valid on `doc` that never splits a surrogate pair. Sometimes stops early (implicit
 * trailing retain), sometimes adds noise (zero-length or unmerged components) to exercise
 * normalization.
 */
function randomOp(rng: Rng, doc: string): OpComponent[] {
  const bounds = boundaries(doc);
  const n = bounds.length - 1;
  const op: OpComponent[] = [];
  let k = 0;
  const at = (i: number): number => bounds[i] as number;
  while (k < n) {
    const r = rng.next();
    if (r < 0.06) break;
    if (r < 0.1) {
      op.push(rng.pick<OpComponent>([
        { type: 'retain', length: 0 },
        { type: 'delete', length: 0 },
        { type: 'insert', content: '' },
      ]));
      continue;
    }
    if (r < 0.3) {
      op.push({ type: 'insert', content: rng.text(rng.range(1, 4)) });
      continue;
    }
    const step = rng.range(1, Math.min(n - k, 6));
    const length = at(k + step) - at(k);
    op.push({ type: r < 0.65 ? 'retain' : 'delete', length });
    k += step;
  }
  if (rng.bool(0.25)) op.push({ type: 'insert', content: rng.text(rng.range(1, 3)) });
  return op;
}

function deepFreeze<T>(op: T): T {
  if (Array.isArray(op)) for (const c of op) Object.freeze(c);
  return Object.freeze(op);
}

// ---------------------------------------------------------------------------------------------
// An independent character-level model
//
// An op is read as: which base code units it deletes, and which text it inserts in which gap (gap g
// is just before base unit g). A run of inserts and deletes counts as inserted at the run's start.

interface ModelOp {
  readonly deleted: Set<number>;
  readonly inserts: Map<number, string>;
}

function model(op: TextOp): ModelOp {
  const deleted = new Set<number>();
  const inserts = new Map<number, string>();
  let base = 0;
  let runStart = 0;
  let inRun = false;
  for (const c of op) {
    if (c.type === 'insert' ? c.content.length === 0 : c.length === 0) continue;
    if (c.type === 'retain') {
      inRun = false;
      base += c.length;
      continue;
    }
    if (!inRun) {
      inRun = true;
      runStart = base;
    }
    if (c.type === 'insert') inserts.set(runStart, (inserts.get(runStart) ?? '') + c.content);
    else for (let i = 0; i < c.length; i++) deleted.add(base++);
  }
  return { deleted, inserts };
}

/** The merged result of concurrent `a` and `b` on `doc`; `aFirst` orders inserts at the same gap. */
function modelMerge(doc: string, a: ModelOp, b: ModelOp, aFirst: boolean): string {
  let out = '';
  for (let g = 0; g <= doc.length; g++) {
    const ia = a.inserts.get(g) ?? '';
    const ib = b.inserts.get(g) ?? '';
    out += aFirst ? ia + ib : ib + ia;
    if (g < doc.length && !a.deleted.has(g) && !b.deleted.has(g)) out += doc[g];
  }
  return out;
}

const NOTHING: ModelOp = { deleted: new Set(), inserts: new Map() };

/** Where the model puts a cursor at `pos`: everything output before the gap, plus inserts per bias. */
function modelPosition(doc: string, m: ModelOp, pos: number, bias: Bias): number {
  let out = 0;
  for (let g = 0; g < pos; g++) {
    out += (m.inserts.get(g) ?? '').length;
    if (g < doc.length && !m.deleted.has(g)) out++;
  }
  return bias === 'after' ? out + (m.inserts.get(pos) ?? '').length : out;
}

function isCanonical(op: TextOp): boolean {
  for (let i = 0; i < op.length; i++) {
    const c = op[i] as OpComponent;
    if ((c.type === 'insert' ? c.content.length : c.length) <= 0) return false;
    const prev = op[i - 1];
    if (prev !== undefined && (prev.type === c.type || (prev.type === 'delete' && c.type === 'insert'))) return false;
  }
  return op.length === 0 || op[op.length - 1]?.type !== 'retain';
}

// ---------------------------------------------------------------------------------------------
// Laws

describe('text-op laws (random, seeded)', () => {
  test('apply agrees with the character model (5,000 cases)', () => {
    withSeed('apply model', (rng) => {
      for (let i = 0; i < 5000; i++) {
        const doc = randomDoc(rng);
        const op = deepFreeze(randomOp(rng, doc));
        const got = apply(doc, op);
        assert.equal(got, modelMerge(doc, model(op), NOTHING, true), JSON.stringify({ doc, op }));
        assert.equal(got.length, targetLength(op, doc.length));
        assert.equal(apply(doc, normalize(op)), got);
      }
    });
  });

  test('apply throws ERR_SPLIT_SURROGATE exactly when a boundary splits a pair (3,000 cases)', () => {
    withSeed('split surrogate', (rng) => {
      let splits = 0;
      for (let i = 0; i < 3000; i++) {
        const doc = randomDoc(rng);
        // Steps in code units, so boundaries land anywhere, halves of pairs included.
        const op: OpComponent[] = [];
        const cuts = [0];
        let pos = 0;
        while (pos < doc.length && rng.bool(0.85)) {
          const r = rng.next();
          if (r < 0.25) op.push({ type: 'insert', content: rng.text(1) });
          else {
            const length = rng.range(1, Math.min(doc.length - pos, 4));
            op.push({ type: r < 0.6 ? 'retain' : 'delete', length });
            pos += length;
          }
          cuts.push(pos);
        }
        deepFreeze(op);
        const splitting = cuts.some((c) => c > 0 && c < doc.length && /[\uDC00-\uDFFF]/.test(doc.charAt(c)) && /[\uD800-\uDBFF]/.test(doc.charAt(c - 1)));
        const ctx = JSON.stringify({ doc, op });
        if (splitting) {
          splits++;
          assert.throws(() => apply(doc, op), (e: unknown) => isCode(e, CoreErrorCode.SplitSurrogate), ctx);
          assert.throws(() => invert(op, doc), (e: unknown) => isCode(e, CoreErrorCode.SplitSurrogate), ctx);
        } else {
          assert.equal(apply(doc, op), modelMerge(doc, model(op), NOTHING, true), ctx);
        }
      }
      assert.ok(splits > 100, `only ${splits} splitting cases`);
    });
  });

  test('TP1 holds for both sides and matches the model (10,000 cases)', () => {
    withSeed('TP1', (rng) => {
      for (let i = 0; i < 10000; i++) {
        const doc = randomDoc(rng);
        const a = deepFreeze(randomOp(rng, doc));
        const b = deepFreeze(randomOp(rng, doc));
        const da = apply(doc, a);
        const db = apply(doc, b);
        const ctx = JSON.stringify({ doc, a, b });
        for (const aFirst of [true, false]) {
          const bPrime = transform(b, a, aFirst ? 'right' : 'left');
          const aPrime = transform(a, b, aFirst ? 'left' : 'right');
          const viaA = apply(da, bPrime);
          const viaB = apply(db, aPrime);
          assert.equal(viaA, viaB, `TP1 aFirst=${aFirst} ${ctx}`);
          assert.equal(viaB, modelMerge(doc, model(a), model(b), aFirst), `model aFirst=${aFirst} ${ctx}`);
          assert.ok(isCanonical(aPrime) && isCanonical(bPrime), ctx);
        }
      }
    });
  });

  test('compose law: apply(d, compose(a, b)) equals apply(apply(d, a), b) (5,000 cases)', () => {
    withSeed('compose', (rng) => {
      for (let i = 0; i < 5000; i++) {
        const doc = randomDoc(rng);
        const a = deepFreeze(randomOp(rng, doc));
        const mid = apply(doc, a);
        const b = deepFreeze(randomOp(rng, mid));
        const ab = compose(a, b);
        const ctx = JSON.stringify({ doc, a, b, ab });
        assert.equal(apply(doc, ab), apply(mid, b), ctx);
        assert.ok(isCanonical(ab), ctx);
      }
    });
  });

  test('invert law: apply(apply(d, op), invert(op, d)) equals d (5,000 cases)', () => {
    withSeed('invert', (rng) => {
      for (let i = 0; i < 5000; i++) {
        const doc = randomDoc(rng);
        const op = deepFreeze(randomOp(rng, doc));
        const after = apply(doc, op);
        const inv = invert(op, doc);
        assert.equal(apply(after, inv), doc, JSON.stringify({ doc, op, inv }));
        assert.ok(isCanonical(inv));
        assert.equal(apply(doc, compose(op, inv)), doc, JSON.stringify({ doc, op, inv }));
      }
    });
  });

  test('normalize is canonical and idempotent and keeps the effect (5,000 cases)', () => {
    withSeed('normalize', (rng) => {
      for (let i = 0; i < 5000; i++) {
        const doc = randomDoc(rng);
        const op = deepFreeze(randomOp(rng, doc));
        const norm = normalize(op);
        assert.ok(isCanonical(norm), JSON.stringify({ op, norm }));
        assert.deepEqual(normalize(norm), norm);
        assert.equal(apply(doc, norm), apply(doc, op));
        assert.equal(isNoop(op), norm.length === 0);
        assert.equal(insertedLength(norm), insertedLength(op));
        assert.equal(deletedLength(norm), deletedLength(op));
        assert.ok(baseLength(norm) <= baseLength(op));
        // Equal effect means equal canonical form: the same op rebuilt from its patches.
        assert.deepEqual(opFromPatches(patchesFromOp(op)), norm);
      }
    });
  });

  test('transformPosition agrees with the model for every position and both biases (3,000 docs)', () => {
    withSeed('transformPosition', (rng) => {
      for (let i = 0; i < 3000; i++) {
        const doc = randomDoc(rng);
        const op = deepFreeze(randomOp(rng, doc));
        const m = model(op);
        for (const pos of boundaries(doc)) {
          for (const bias of ['before', 'after'] as const) {
            const want = modelPosition(doc, m, pos, bias);
            assert.equal(transformPosition(pos, op, bias), want, JSON.stringify({ doc, op, pos, bias }));
          }
        }
        assert.equal(transformPosition(doc.length, op), apply(doc, op).length);
      }
    });
  });

  test('opFromPatches matches sequential splices (3,000 cases)', () => {
    withSeed('opFromPatches', (rng) => {
      for (let i = 0; i < 3000; i++) {
        const doc = randomDoc(rng);
        let cur = doc;
        const patches: Array<[number, number, string]> = [];
        const count = rng.range(0, 5);
        for (let j = 0; j < count; j++) {
          const bounds = boundaries(cur);
          const s = rng.int(bounds.length);
          const e = rng.range(s, Math.min(bounds.length - 1, s + 4));
          const pos = bounds[s] as number;
          const del = (bounds[e] as number) - pos;
          const ins = rng.bool(0.7) ? rng.text(rng.range(1, 3)) : '';
          patches.push([pos, del, ins]);
          cur = cur.slice(0, pos) + ins + cur.slice(pos + del);
        }
        const op = opFromPatches(deepFreeze(patches));
        const ctx = JSON.stringify({ doc, patches, op });
        assert.equal(apply(doc, op), cur, ctx);
        let replay = doc;
        for (const [pos, del, ins] of patchesFromOp(op)) replay = replay.slice(0, pos) + ins + replay.slice(pos + del);
        assert.equal(replay, cur, ctx);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Examples

describe('text-op examples', () => {
  const R = (length: number): OpComponent => ({ type: 'retain', length });
  const I = (content: string): OpComponent => ({ type: 'insert', content });
  const D = (length: number): OpComponent => ({ type: 'delete', length });

  test('apply with implicit and explicit trailing retain; empty op is the identity', () => {
    assert.equal(apply('hello', [R(1), D(1), I('a')]), 'hallo');
    assert.equal(apply('hello', [R(1), D(1), I('a'), R(3)]), 'hallo');
    assert.equal(apply('hello', []), 'hello');
    assert.equal(apply('', [I('😀')]), '😀');
    assert.equal(apply('a😀b', [R(1), D(2)]), 'ab');
  });

  test('normalize merges, orders insert before delete, drops zeros and trailing retain', () => {
    assert.deepEqual(normalize([R(0), R(2), R(1), D(1), I('x'), D(2), I('y'), R(4)]), [R(3), I('xy'), D(3)]);
    assert.deepEqual(normalize([R(5)]), []);
    assert.deepEqual(normalize([I(''), D(0)]), []);
  });

  test('lengths and isNoop', () => {
    const op = [R(2), I('abc'), D(4)];
    assert.equal(baseLength(op), 6);
    assert.equal(insertedLength(op), 3);
    assert.equal(deletedLength(op), 4);
    assert.equal(targetLength(op, 10), 9);
    assert.equal(isNoop(op), false);
    assert.equal(isNoop([R(3), I(''), D(0)]), true);
    assert.throws(() => targetLength(op, 5), { code: CoreErrorCode.BaseLengthMismatch });
  });

  test('transform: insert/insert tie goes to side', () => {
    const a = [R(1), I('A')];
    const b = [R(1), I('B')];
    assert.deepEqual(transform(a, b, 'left'), [R(1), I('A')]);
    assert.deepEqual(transform(a, b, 'right'), [R(2), I('A')]);
    assert.equal(apply(apply('xy', b), transform(a, b, 'left')), 'xABy');
  });

  test('transform: overlapping deletes and an insert inside a deleted range', () => {
    // 'abcdef': a deletes bcd, b deletes cde.
    assert.deepEqual(transform([R(1), D(3)], [R(2), D(3)], 'left'), [R(1), D(1)]);
    assert.deepEqual(transform([R(2), D(3)], [R(1), D(3)], 'left'), [R(1), D(1)]);
    // An insert inside a range deleted concurrently survives at the range's place.
    assert.deepEqual(transform([R(3), I('X')], [R(1), D(4)], 'left'), [R(1), I('X')]);
    assert.deepEqual(transform([R(1), D(4)], [R(3), I('X')], 'right'), [R(1), D(2), R(1), D(2)]);
  });

  test('compose refuses to cut a surrogate pair it inserted', () => {
    assert.throws(() => compose([I('😀')], [R(1), I('x')]), { code: CoreErrorCode.SplitSurrogate });
    assert.throws(() => compose([I('😀')], [D(1)]), { code: CoreErrorCode.SplitSurrogate });
    assert.deepEqual(compose([I('😀')], [D(2)]), []);
  });

  test('transformPosition examples', () => {
    const op = [R(2), I('xy'), D(3)];
    assert.equal(transformPosition(1, op), 1);
    assert.equal(transformPosition(2, op, 'before'), 2);
    assert.equal(transformPosition(2, op, 'after'), 4);
    assert.equal(transformPosition(3, op, 'before'), 4); // inside the deleted range
    assert.equal(transformPosition(5, op, 'before'), 4);
    assert.equal(transformPosition(9, op), 8); // past the op: implicit retain
    assert.throws(() => transformPosition(-1, op), { code: CoreErrorCode.InvalidOp });
    assert.throws(() => transformPosition(1.5, op), { code: CoreErrorCode.InvalidOp });
  });

  test('patches', () => {
    assert.deepEqual(opFromPatch(3, 2, 'hi'), [R(3), I('hi'), D(2)]);
    assert.deepEqual(opFromPatch(0, 0, ''), []);
    assert.deepEqual(opFromPatches([]), []);
    assert.deepEqual(opFromPatches([[0, 0, 'ab'], [2, 0, 'c'], [0, 1, '']]), [I('bc')]);
    assert.deepEqual(patchesFromOp([R(1), D(1), R(2), I('x'), R(1), I('y'), D(2)]), [[1, 1, ''], [3, 0, 'x'], [5, 2, 'y']]);
    assert.throws(() => opFromPatch(-1, 0, ''), { code: CoreErrorCode.InvalidOp });
    assert.throws(() => opFromPatch(0, 0.5, ''), { code: CoreErrorCode.InvalidOp });
    assert.throws(() => opFromPatch(0, 0, '\uD83D'), { code: CoreErrorCode.SplitSurrogate });
    const bad: unknown = [[0, 0, 'a'], [0, 0]];
    assert.throws(() => opFromPatches(bad as [number, number, string][]), (e: unknown) => isCode(e, CoreErrorCode.InvalidOp, /patch 1/));
  });

  test('apply handles a big document with many components', () => {
    const doc = 'abcdefghij😀'.repeat(100_000); // 1.2M code units
    const op: OpComponent[] = [];
    let want = '';
    for (let i = 0; i < 50_000; i++) {
      op.push(R(12), D(12), I('Z'));
      want += 'abcdefghij😀Z';
    }
    const got = apply(doc, op);
    assert.equal(got, want + doc.slice(50_000 * 24));
    assert.equal(apply(got, invert(op, doc)), doc);
  });
});

// ---------------------------------------------------------------------------------------------
// Validation

function isCode(e: unknown, code: CoreErrorCode, message?: RegExp): boolean {
  assert.ok(e instanceof TandemError, `expected a TandemError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  if (message !== undefined) assert.match(e.message, message);
  return true;
}

/** Asserts `fn(input)` throws `code` and leaves the input exactly as it was. */
function rejects(input: unknown, fn: (input: unknown) => unknown, code: CoreErrorCode, message?: RegExp): void {
  const before = JSON.stringify(input);
  assert.throws(() => fn(input), (e: unknown) => isCode(e, code, message), `input ${before}`);
  assert.equal(JSON.stringify(input), before);
}

describe('text-op validation', () => {
  const check = (v: unknown): unknown => checkOp(v);

  test('checkOp accepts valid JSON and returns the canonical op', () => {
    const parsed: unknown = JSON.parse('[{"type":"retain","length":2},{"type":"delete","length":1},{"type":"insert","content":"é😀"},{"type":"retain","length":3}]');
    assert.deepEqual(checkOp(parsed), [{ type: 'retain', length: 2 }, { type: 'insert', content: 'é😀' }, { type: 'delete', length: 1 }]);
    assert.deepEqual(checkOp([]), []);
  });

  test('checkOp rejects non-arrays and non-object components', () => {
    for (const v of [null, undefined, {}, 'x', 3, { 0: { type: 'retain', length: 1 }, length: 1 }]) rejects(v, check, CoreErrorCode.InvalidOp, /array/);
    for (const c of [1, null, 'abc', [1], true]) rejects([{ type: 'retain', length: 1 }, c], check, CoreErrorCode.InvalidOp, /component 1: must be an object/);
  });

  test('checkOp rejects bad counts, naming the index and value', () => {
    const cases: Array<[unknown, RegExp]> = [
      [-2, /component 1: delete length must be a positive integer, got -2/],
      [0, /got 0/],
      [NaN, /got NaN/],
      [1.5, /got 1\.5/],
      [Infinity, /got Infinity/],
      [2 ** 53, /got 9007199254740992/],
      ['3', /got "3"/],
      [null, /got null/],
    ];
    for (const [length, msg] of cases) {
      rejects([{ type: 'retain', length: 1 }, { type: 'delete', length }], check, CoreErrorCode.InvalidOp, msg);
      rejects([{ type: 'retain', length }], check, CoreErrorCode.InvalidOp, /component 0: retain length/);
    }
    rejects([{ type: 'retain', length: 2 ** 53 - 1 }, { type: 'delete', length: 2 ** 53 - 1 }], check, CoreErrorCode.InvalidOp, /base length/);
  });

  test('checkOp rejects bad inserts, unknown types, extra and missing fields', () => {
    for (const content of [42, '', null, ['a'], { s: 'a' }]) {
      rejects([{ type: 'insert', content }], check, CoreErrorCode.InvalidOp, /component 0: insert content must be a non-empty string/);
    }
    rejects([{ type: 'keep', length: 1 }], check, CoreErrorCode.InvalidOp, /unknown type "keep"/);
    rejects([{ length: 1 }], check, CoreErrorCode.InvalidOp, /unknown type undefined/);
    rejects([{ type: 'retain' }], check, CoreErrorCode.InvalidOp, /retain is missing "length"/);
    rejects([{ type: 'insert' }], check, CoreErrorCode.InvalidOp, /insert is missing "content"/);
    rejects([{ type: 'retain', length: 1, content: 'x' }], check, CoreErrorCode.InvalidOp, /unexpected field "content"/);
    rejects([{ type: 'insert', content: 'x', attributes: {} }], check, CoreErrorCode.InvalidOp, /unexpected field "attributes"/);
    rejects([{ type: 'delete', length: 1, d: 1 }], check, CoreErrorCode.InvalidOp, /unexpected field "d"/);
  });

  test('checkOp rejects unpaired surrogates in insert content', () => {
    for (const content of ['\uD83D', 'a\uDE00', 'x\uD83Dy', '😀\uDE00', '\uDE00\uD83D']) {
      rejects([{ type: 'retain', length: 1 }, { type: 'insert', content }], check, CoreErrorCode.SplitSurrogate, /component 1: insert content has an unpaired surrogate/);
    }
  });

  test('checkOp enforces maxComponents', () => {
    const five = Array.from({ length: 5 }, () => ({ type: 'insert', content: 'a' }));
    rejects(five, (v) => checkOp(v, { maxComponents: 4 }), CoreErrorCode.LimitExceeded, /5 components.*limit of 4/);
    assert.deepEqual(checkOp(five, { maxComponents: 5 }), [{ type: 'insert', content: 'aaaaa' }]);
    const many = Array.from({ length: 100_001 }, () => ({ type: 'retain', length: 1 }));
    rejects(many, check, CoreErrorCode.LimitExceeded);
  });

  test('apply and invert reject an op longer than the document, naming both lengths', () => {
    for (const op of [[{ type: 'retain', length: 4 }], [{ type: 'retain', length: 2 }, { type: 'delete', length: 2 }]]) {
      rejects(op, (v) => apply('abc', v as TextOp), CoreErrorCode.BaseLengthMismatch, /4.*3/);
      rejects(op, (v) => invert(v as TextOp, 'abc'), CoreErrorCode.BaseLengthMismatch, /4.*3/);
    }
  });

  test('apply and invert reject boundaries that split a surrogate pair', () => {
    const doc = 'a😀b'; // the pair is at 1..3
    const ops: unknown[] = [
      [{ type: 'retain', length: 2 }], // retain ends inside
      [{ type: 'retain', length: 2 }, { type: 'delete', length: 1 }], // delete starts inside
      [{ type: 'retain', length: 1 }, { type: 'delete', length: 1 }], // delete ends inside
      [{ type: 'retain', length: 2 }, { type: 'insert', content: 'x' }], // insert point inside
      [{ type: 'delete', length: 2 }], // delete from the start ends inside
    ];
    for (const op of ops) {
      rejects(op, (v) => apply(doc, v as TextOp), CoreErrorCode.SplitSurrogate);
      rejects(op, (v) => invert(v as TextOp, doc), CoreErrorCode.SplitSurrogate);
    }
    rejects([{ type: 'insert', content: '\uDE00' }], (v) => apply(doc, v as TextOp), CoreErrorCode.SplitSurrogate, /unpaired/);
    assert.equal(apply(doc, [{ type: 'retain', length: 3 }, { type: 'insert', content: 'x' }]), 'a😀xb');
  });

  test('algebra functions reject malformed components instead of looping', () => {
    const bad: unknown[] = [
      [{ type: 'retain', length: -1 }],
      [{ type: 'delete', length: 0.5 }],
      [{ type: 'insert', content: 7 }],
      [{ type: 'nope', length: 1 }],
      [null],
    ];
    for (const op of bad) {
      const o = op as TextOp;
      rejects(o, (v) => normalize(v as TextOp), CoreErrorCode.InvalidOp);
      rejects(o, (v) => apply('abc', v as TextOp), CoreErrorCode.InvalidOp);
      rejects(o, (v) => compose(v as TextOp, []), CoreErrorCode.InvalidOp);
      rejects(o, (v) => transform([], v as TextOp, 'left'), CoreErrorCode.InvalidOp);
      rejects(o, (v) => transformPosition(0, v as TextOp), CoreErrorCode.InvalidOp);
    }
  });
});
