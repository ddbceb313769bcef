/**
 * The fast LZ77 codec used for document snapshots: round trips on text and random bytes, and
 * hostile input that can only ever produce the codec's own error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lzCompress, lzDecompress } from '../src/encoding/lz-codec.js';
import { withSeed } from './support/random.js';

class LzError extends Error {}
const fail = (m: string): Error => new LzError(m);

test('text and random bytes round-trip', () => {
  withSeed('lz round trip', (rng) => {
    for (let i = 0; i < 300; i++) {
      const kind = rng.int(3);
      let data: Uint8Array;
      if (kind === 0) data = new TextEncoder().encode(rng.text(rng.int(3000)).repeat(1 + rng.int(4)));
      else if (kind === 1) data = Uint8Array.from({ length: rng.int(2000) }, () => rng.int(256));
      else data = Uint8Array.from({ length: rng.int(5000) }, () => rng.int(3));
      const comp = lzCompress(data);
      assert.deepEqual(lzDecompress(comp, data.length, fail), data);
    }
  });
});

test('repetitive text compresses', () => {
  const data = new TextEncoder().encode('the quick brown fox jumps over the lazy dog. '.repeat(200));
  assert.ok(lzCompress(data).length < data.length / 10);
});

test('mutated and random input never throws anything but the codec error', () => {
  withSeed('lz fuzz', (rng) => {
    const data = new TextEncoder().encode('collaborative editing with eg-walker, '.repeat(50) + rng.text(500));
    const good = lzCompress(data);
    for (let i = 0; i < 20_000; i++) {
      const bad = Uint8Array.from(good);
      const flips = 1 + rng.int(4);
      for (let k = 0; k < flips; k++) bad[rng.int(bad.length)] = rng.int(256);
      const cut = rng.bool(0.2) ? bad.subarray(0, rng.int(bad.length)) : bad;
      const declared = rng.bool(0.8) ? data.length : rng.int(data.length * 2);
      try {
        const out = lzDecompress(cut, declared, fail);
        assert.equal(out.length, declared);
      } catch (e) {
        if (!(e instanceof LzError)) throw e;
      }
    }
    for (let i = 0; i < 5_000; i++) {
      const junk = Uint8Array.from({ length: rng.int(64) }, () => rng.int(256));
      try {
        lzDecompress(junk, rng.int(1000), fail);
      } catch (e) {
        if (!(e instanceof LzError)) throw e;
      }
    }
  });
});
