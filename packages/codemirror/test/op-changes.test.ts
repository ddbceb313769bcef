/**
 * The op ⇄ ChangeSet conversion, headless (CodeMirror's state package needs no DOM): hand-made
 * cases including emoji (surrogate pairs) and "\r\n", then seeded random ops checked both ways —
 * the change set must do to a CodeMirror document exactly what the op does to the string, and
 * converting back must give the same op. Rerun a failure with TANDEM_SEED=<seed>.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeSet, EditorState, Text } from '@codemirror/state';
import { apply, normalize, opFromPatches, type OpComponent, type TextOp } from '@tandem/core';
import { changesFromOp, lastChangeEnd, opFromChanges } from '../src/op-changes.js';
import { Rng } from '@tandem/test-random';

function docOf(s: string): Text {
  return Text.of(s.split('\n'));
}

/** The op applied both ways: to the string by the core, to a CodeMirror Text by the change set. */
function bothWays(before: string, op: TextOp): string {
  const expected = apply(before, op);
  const changes = changesFromOp(op, before.length);
  assert.equal(changes.length, before.length);
  assert.equal(changes.newLength, expected.length);
  assert.equal(changes.apply(docOf(before)).toString(), expected);
  assert.deepEqual(opFromChanges(changes), normalize(op));
  return expected;
}

describe('changesFromOp / opFromChanges', () => {
  test('insert, delete and replace in one op become one change per region', () => {
    const op: TextOp = [
      { type: 'retain', length: 2 },
      { type: 'insert', content: 'XY' },
      { type: 'retain', length: 3 },
      { type: 'delete', length: 2 },
      { type: 'retain', length: 1 },
      { type: 'insert', content: '!' },
      { type: 'delete', length: 1 },
    ];
    assert.equal(bothWays('abcdefghij', op), 'abXYcdeh!j');
    const changes = changesFromOp(op, 10);
    const regions: [number, number, string][] = [];
    changes.iterChanges((fromA, toA, _fb, _tb, ins) => regions.push([fromA, toA, ins.toString()]));
    assert.deepEqual(regions, [
      [2, 2, 'XY'],
      [5, 7, ''],
      [8, 9, '!'],
    ]);
  });

  test('an empty op, an op with only a trailing retain, and an empty document', () => {
    assert.equal(changesFromOp([], 5).empty, true);
    assert.equal(changesFromOp([{ type: 'retain', length: 5 }], 5).empty, true);
    assert.deepEqual(opFromChanges(ChangeSet.empty(4)), []);
    bothWays('', [{ type: 'insert', content: 'hello\nworld' }]);
  });

  test('emoji: inserting, deleting and replacing surrogate pairs keeps offsets in UTF-16 code units', () => {
    const s = 'a😀b👍🏽c';
    assert.equal(bothWays(s, opFromPatches([[1, 2, '']])), 'ab👍🏽c');
    assert.equal(bothWays(s, opFromPatches([[3, 0, '🎉']])), 'a😀🎉b👍🏽c');
    assert.equal(bothWays(s, opFromPatches([[4, 4, '𝄞']])), 'a😀b𝄞c');
    // From the editor side: CodeMirror reports the same positions for the same edit.
    const state = EditorState.create({ doc: s });
    const tr = state.update({ changes: { from: 1, to: 3, insert: '🙂' } });
    assert.deepEqual(opFromChanges(tr.changes), opFromPatches([[1, 2, '🙂']]));
    assert.equal(apply(s, opFromChanges(tr.changes)), tr.state.doc.toString());
  });

  test('"\\r\\n" stays two code units with lineSeparator "\\n"', () => {
    const s = 'one\r\ntwo\r\nthree';
    const state = EditorState.create({ doc: s, extensions: EditorState.lineSeparator.of('\n') });
    assert.equal(state.doc.length, s.length);
    const op = opFromPatches([[5, 0, 'X']]);
    const next = state.update({ changes: changesFromOp(op, state.doc.length) }).state;
    assert.equal(next.sliceDoc(), apply(s, op));
  });

  test('an op that reaches past the end is refused', () => {
    assert.throws(() => changesFromOp([{ type: 'retain', length: 6 }, { type: 'insert', content: 'x' }], 5), RangeError);
    assert.throws(() => changesFromOp([{ type: 'delete', length: 6 }], 5), RangeError);
  });

  test('a multi-cursor CodeMirror transaction becomes one op', () => {
    const state = EditorState.create({ doc: 'abc\ndef\nghi' });
    const tr = state.update({ changes: [{ from: 0, insert: '> ' }, { from: 4, insert: '> ' }, { from: 8, to: 9, insert: '> G' }] });
    assert.equal(apply('abc\ndef\nghi', opFromChanges(tr.changes)), tr.state.doc.toString());
    assert.equal(lastChangeEnd(tr.changes), 15);
  });
});

/** The shared mulberry32 generator as a plain function, so a failing case can be replayed from its seed. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

const ALPHABET = ['a', 'b', ' ', '\n', 'é', '😀', '👍', '𝄞'];

function randomText(next: () => number, codePoints: number): string {
  let s = '';
  for (let i = 0; i < codePoints; i++) s += ALPHABET[Math.floor(next() * ALPHABET.length)]!;
  return s;
}

/** A random op on `s` that never splits a surrogate pair (as neither side allows). */
function randomOp(next: () => number, s: string): TextOp {
  const points = [...s];
  const op: OpComponent[] = [];
  let i = 0;
  while (i < points.length) {
    const run = 1 + Math.floor(next() * 3);
    const units = points.slice(i, i + run).join('').length;
    const roll = next();
    if (roll < 0.5) op.push({ type: 'retain', length: units });
    else if (roll < 0.75) op.push({ type: 'delete', length: units });
    else {
      op.push({ type: 'insert', content: randomText(next, 1 + Math.floor(next() * 3)) });
      op.push({ type: 'retain', length: units });
    }
    i += run;
  }
  if (next() < 0.5) op.push({ type: 'insert', content: randomText(next, 2) });
  return normalize(op);
}

test('random ops with emoji: both directions agree with the core (seeded)', () => {
  const env = process.env['TANDEM_SEED'];
  const seed = env !== undefined && env !== '' ? Number(env) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  const next = rng(seed);
  try {
    let s = randomText(next, 20);
    for (let round = 0; round < 2000; round++) {
      const op = randomOp(next, s);
      s = bothWays(s, op);
      if (s.length > 400) s = [...s].slice(0, 100).join('');
    }
  } catch (err) {
    throw new Error(`failed with seed ${seed} (rerun with TANDEM_SEED=${seed}): ${err instanceof Error ? err.message : String(err)}`);
  }
});
