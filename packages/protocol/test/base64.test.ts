/**
 * Base64 for binary payloads (session_joined.snapshot): round trips of every length remainder,
 * agreement with Node's encoder, and clear refusals of what is not base64.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBase64, encodeBase64 } from '../src/index.js';

describe('base64', () => {
  it('round-trips random bytes of many lengths and agrees with Node', () => {
    const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
    console.log(`base64 seed ${seed}`);
    let x = seed || 1;
    const next = (): number => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x;
    };
    for (const length of [0, 1, 2, 3, 4, 5, 6, 7, 100, 24_575, 24_576, 24_577, 70_001]) {
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = next() & 255;
      const text = encodeBase64(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64'), `length ${length}`);
      assert.deepStrictEqual(decodeBase64(text), bytes, `length ${length}`);
    }
  });

  it('refuses text that is not base64, naming the problem', () => {
    assert.throws(() => decodeBase64('AAA'), /length \(3\) is not a multiple of 4/);
    assert.throws(() => decodeBase64('AA-A'), /character 2 \("-"\)/);
    assert.throws(() => decodeBase64('A=AA'), /character 1 \("="\)/);
    assert.throws(() => decodeBase64('A==='), /character 1 \("="\)/);
    assert.deepStrictEqual(decodeBase64(''), new Uint8Array(0));
  });
});
