/**
 * Unit tests of the pure parts of version history: the minimal edit between two texts (exact, and
 * never splitting a surrogate pair) and the attribution tracker (its texts always agree with the
 * edits it was fed, and it credits each span to the right author), with random inputs from a
 * seeded generator so failures reproduce.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apply } from '@tandem/core';
import type { OpComponent, TextOp } from '@tandem/core';
import { AttributionTracker } from '../src/history/attribution-tracker.js';
import { minimalEdit } from '../src/history/text-diff.js';
import { Rng } from '@tandem/test-random';

/** The shared mulberry32 generator as a plain function, so a failing case can be replayed from its seed. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

const ALPHABET = ['a', 'b', 'c', ' ', '😀', '😁', 'é'];

function randomText(next: () => number, max: number): string {
  let s = '';
  const n = Math.floor(next() * max);
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(next() * ALPHABET.length)]!;
  return s;
}

/** A random op over `text` (splice at a code-point boundary), as a core op. */
function randomOp(next: () => number, text: string): TextOp {
  const points = [...text];
  const at = Math.floor(next() * (points.length + 1));
  const del = Math.floor(next() * Math.min(3, points.length - at + 1));
  const ins = next() < 0.7 ? randomText(next, 4) : '';
  const pos = points.slice(0, at).join('').length;
  const len = points.slice(at, at + del).join('').length;
  const op: OpComponent[] = [];
  if (pos > 0) op.push({ type: 'retain', length: pos });
  if (ins.length > 0) op.push({ type: 'insert', content: ins });
  if (len > 0) op.push({ type: 'delete', length: len });
  return op;
}

const LONE = /\p{Cs}/u;

describe('minimalEdit', () => {
  test('turns one text into the other with one splice, keeping the common prefix and suffix', () => {
    assert.deepEqual(minimalEdit('same', 'same'), []);
    assert.deepEqual(minimalEdit('', 'new'), [{ type: 'insert', content: 'new' }]);
    assert.deepEqual(minimalEdit('gone', ''), [{ type: 'delete', length: 4 }]);
    assert.deepEqual(minimalEdit('hello world', 'hello brave world'), [{ type: 'retain', length: 6 }, { type: 'insert', content: 'brave ' }]);
    assert.deepEqual(minimalEdit('abcdef', 'abXef'), [{ type: 'retain', length: 2 }, { type: 'insert', content: 'X' }, { type: 'delete', length: 2 }]);
  });

  test('never splits a surrogate pair that differs in one half', () => {
    // U+1F600 and U+1F601 share their high surrogate; the second pair below shares only its low one.
    assert.deepEqual(minimalEdit('a😀b', 'a😁b'), [{ type: 'retain', length: 1 }, { type: 'insert', content: '😁' }, { type: 'delete', length: 2 }]);
    const op = minimalEdit('\ud83d\ude00', '\ud83c\ude00');
    for (const c of op) if (c.type === 'insert') assert.doesNotMatch(c.content, LONE);
    assert.equal(apply('\ud83d\ude00', op), '\ud83c\ude00');
  });

  test('random texts: the edit is exact and its inserts are well-formed', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const next = rng(seed);
      const from = randomText(next, 12);
      const to = next() < 0.5 ? randomText(next, 12) : apply(from, randomOp(next, from));
      const op = minimalEdit(from, to);
      assert.equal(apply(from, op), to, `seed ${seed}: ${JSON.stringify(from)} → ${JSON.stringify(to)}`);
      for (const c of op) if (c.type === 'insert') assert.doesNotMatch(c.content, LONE, `seed ${seed}`);
      assert.ok(op.length <= 3, `seed ${seed}: one splice at most`);
    }
  });
});

describe('AttributionTracker', () => {
  test('credits inserts to their authors, deletions of old text to who deleted it, and drops text born and gone in between', () => {
    const t = new AttributionTracker('hello world');
    t.apply([{ type: 'retain', length: 6 }, { type: 'delete', length: 5 }, { type: 'insert', content: 'there' }], 'bob');
    t.apply([{ type: 'insert', content: '>> ' }], 'ann');
    t.apply([{ type: 'retain', length: 9 }, { type: 'delete', length: 3 }], 'ann');
    assert.equal(t.text(), '>> hello re');
    assert.deepEqual(t.segments(), [
      { kind: 'insert', text: '>> ', authors: ['ann'] },
      { kind: 'equal', text: 'hello ' },
      { kind: 'delete', text: 'world', authors: ['bob'] },
      { kind: 'insert', text: 're', authors: ['bob'] },
    ]);
  });

  test('an op running past the end of the text is refused', () => {
    const t = new AttributionTracker('ab');
    assert.throws(() => t.apply([{ type: 'retain', length: 3 }], 'x'), RangeError);
  });

  test('random edit sequences: new text, old text and authors all agree with the edits', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const next = rng(seed);
      const base = randomText(next, 10);
      const t = new AttributionTracker(base);
      let text = base;
      const steps = 1 + Math.floor(next() * 8);
      for (let i = 0; i < steps; i++) {
        const op = randomOp(next, text);
        const author = next() < 0.5 ? 'ann' : 'bob';
        text = apply(text, op);
        t.apply(op, author);
      }
      const segs = t.segments();
      const where = `seed ${seed}`;
      assert.equal(t.text(), text, where);
      assert.equal(segs.filter((s) => s.kind !== 'delete').map((s) => s.text).join(''), text, where);
      assert.equal(segs.filter((s) => s.kind !== 'insert').map((s) => s.text).join(''), base, where);
      for (const s of segs) {
        assert.ok(s.text.length > 0, where);
        assert.equal(s.authors === undefined, s.kind === 'equal', where);
      }
      for (let i = 1; i < segs.length; i++) {
        const [a, b] = [segs[i - 1]!, segs[i]!];
        assert.ok(a.kind !== b.kind || a.authors?.[0] !== b.authors?.[0], `${where}: adjacent segments with one history are merged`);
      }
    }
  });
});
