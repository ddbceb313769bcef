/**
 * A small context-mixing compressor for the byte columns of the binary encoding (above all the
 * concatenated inserted text). Each bit is predicted by adaptive counters in several contexts (the
 * previous 1, 2, 3, 4 and 6 bytes, the current word), the predictions are combined by an online
 * logistic mixer, and a binary arithmetic coder turns the result into bytes.
 *
 * Everything is integer arithmetic (no Math.exp/log, whose last bits may differ between engines),
 * so any JavaScript engine decodes exactly what another encoded. The decoder is safe on hostile
 * input: it produces exactly the declared number of bytes and fails when it runs out of input or
 * leaves input unread.
 */
import type { TandemError } from '../errors.js';

/** The logistic curve 4096/(1+e^(-x/256)) sampled every 128 steps of x in [-2048, 2048]. */
const SQUASH_POINTS = [
  1, 2, 4, 6, 10, 17, 27, 45, 74, 120, 194, 311, 488, 747, 1102, 1546, 2048, 2550, 2994, 3349, 3608, 3785, 3902, 3976, 4022,
  4051, 4069, 4079, 4086, 4090, 4092, 4094, 4095,
];

/** Probability (12 bits) from the logistic domain [-2047, 2047], by linear interpolation. */
function squash(d: number): number {
  if (d > 2047) d = 2047;
  if (d < -2047) d = -2047;
  const x = d + 2048;
  const i = x >> 7;
  const w = x & 127;
  const p = ((SQUASH_POINTS[i] as number) * (128 - w) + (SQUASH_POINTS[i + 1] as number) * w + 64) >> 7;
  return p < 1 ? 1 : p > 4095 ? 4095 : p;
}

/** Inverse of squash, tabulated for all 4096 probabilities. */
const STRETCH: Int16Array = (() => {
  const t = new Int16Array(4096);
  let pi = 0;
  for (let x = -2047; x <= 2047; x++) {
    const v = squash(x);
    for (let j = pi; j <= v; j++) t[j] = x;
    pi = v + 1;
  }
  for (let j = pi; j < 4096; j++) t[j] = 2047;
  return t;
})();

/**
 * Counter adaptation rate 1/(n+1.5) in 1.15 fixed point: fast at first, steadier with experience.
 * 15 bits keep (difference * rate) within 31 bits, so the update is plain int32 arithmetic.
 */
const COUNT_LIMIT = 30;
const RATE: Int32Array = (() => {
  const t = new Int32Array(COUNT_LIMIT + 1);
  for (let n = 0; n <= COUNT_LIMIT; n++) t[n] = Math.floor(32768 / (n + 1.5));
  return t;
})();

/** Context orders (bytes of history) of the hashed models. */
const HASHED_ORDERS = [1, 2, 3, 4, 6] as const;
/** Inputs to the mixer: order 0, the hashed orders, the word model, a bias. */
const N_INPUTS = 1 + HASHED_ORDERS.length + 1 + 1;
/** Mixer weights are fixed point with this many fraction bits. */
const MIXER_SHIFT = 16;
/** Mixer step: weight += input * error * LEARNING_RATE / 2^13 (tuned on text; small is steadier). */
const LEARNING_RATE = 5;

/** Largest table: 2^20 slots per context model (4 MiB each, 24 MiB in all), from 64 KiB of input up. */
const MAX_TABLE_BITS = 20;
const MIN_TABLE_BITS = 10;
/**
 * Slots are grouped in blocks of 16 (one per partial nibble), each slot a (probability, count) pair
 * of 16-bit numbers, so one block is one 64-byte cache line: a nibble costs one miss per model
 * rather than four.
 */
const BLOCK_SHIFT = 5;

/** The adaptive model: same state evolution in encoder and decoder. */
class Model {
  private readonly blockBits: number;
  /** (probability, count) pairs: order 0 (256 slots), then each context model's blocks. */
  private readonly t: Uint16Array;
  private readonly weights: Int32Array;
  /** Index in `t` of the current slot of each input model. */
  private readonly slots = new Int32Array(N_INPUTS - 1);
  /** Index in `t` of the current block of each context model. */
  private readonly blocks = new Int32Array(N_INPUTS - 2);
  private readonly inputs = new Int32Array(N_INPUTS);
  private readonly history = new Uint8Array(8);
  private readonly bases = new Int32Array(N_INPUTS - 2);
  /** The bits of the current byte so far, behind a leading 1. */
  private c0 = 1;
  /** The bits of the current nibble so far, behind a leading 1. */
  private nib = 1;
  private wordHash = 0;
  private pr = 2048;
  private mixerSet = 0;

  constructor(rawLength: number) {
    // Tables grow with the input (about 8 slots per byte) so small columns stay cheap to decode.
    let bits = MIN_TABLE_BITS;
    while (bits < MAX_TABLE_BITS && 1 << (bits - 3) < rawLength) bits++;
    this.blockBits = bits - 4;
    this.t = new Uint16Array(2 * 256 + this.blocks.length * (2 << bits));
    for (let i = 0; i < this.t.length; i += 2) this.t[i] = 32768;
    this.weights = new Int32Array(256 * N_INPUTS).fill(Math.floor((1 << MIXER_SHIFT) * 0.3));
    this.newByte();
  }

  /** Probability (12 bits) that the next bit is 1. */
  predict(): number {
    const s = this.slots;
    const t = this.t;
    s[0] = this.c0 << 1;
    const off = this.nib << 1;
    for (let k = 0; k < this.blocks.length; k++) s[1 + k] = (this.blocks[k] as number) + off;
    const w = this.mixerSet;
    let dot = 0;
    for (let i = 0; i < s.length; i++) {
      const st = STRETCH[(t[s[i] as number] as number) >>> 4] as number;
      this.inputs[i] = st;
      dot += st * (this.weights[w + i] as number);
    }
    this.inputs[N_INPUTS - 1] = 256;
    dot += 256 * (this.weights[w + N_INPUTS - 1] as number);
    this.pr = squash(Math.floor(dot / (1 << MIXER_SHIFT)));
    return this.pr;
  }

  update(bit: number): void {
    const s = this.slots;
    const t = this.t;
    const target = bit ? 65535 : 0;
    for (let i = 0; i < s.length; i++) {
      const j = s[i] as number;
      const p = t[j] as number;
      const n = t[j + 1] as number;
      t[j] = p + (((target - p) * (RATE[n] as number)) >> 15);
      if (n < COUNT_LIMIT) t[j + 1] = n + 1;
    }
    const err = ((bit << 12) - this.pr) * LEARNING_RATE;
    const w = this.mixerSet;
    for (let i = 0; i < N_INPUTS; i++) {
      const v = (this.weights[w + i] as number) + (((this.inputs[i] as number) * err) >> 13);
      this.weights[w + i] = v > 1 << 24 ? 1 << 24 : v < -(1 << 24) ? -(1 << 24) : v;
    }
    this.c0 = (this.c0 << 1) | bit;
    this.nib = (this.nib << 1) | bit;
    if (this.c0 >= 256) {
      this.pushByte(this.c0 & 255);
      this.newByte();
    } else if (this.nib >= 16) {
      this.newNibble();
    }
    this.mixerSet = this.c0 * N_INPUTS;
  }

  /** Picks each context model's block for the coming nibble (context hash and bits so far). */
  private newNibble(): void {
    this.nib = 1;
    const shift = 32 - this.blockBits;
    for (let k = 0; k < this.blocks.length; k++) {
      const h = Math.imul(((this.bases[k] as number) + Math.imul(this.c0, 0x01000193)) | 0, 0x9e3779b1);
      this.blocks[k] = 2 * 256 + ((k << this.blockBits) << BLOCK_SHIFT) + ((h >>> shift) << BLOCK_SHIFT);
    }
  }

  private pushByte(c: number): void {
    this.history.copyWithin(1, 0, 7);
    this.history[0] = c;
    const lower = c >= 65 && c <= 90 ? c + 32 : c;
    const letter = (lower >= 97 && lower <= 122) || c >= 128;
    this.wordHash = letter ? Math.imul(this.wordHash ^ lower, 0x01000193) + 1 : 0;
  }

  /** Hashes the contexts of the next byte once; each nibble then only mixes in its partial byte. */
  private newByte(): void {
    this.c0 = 1;
    this.mixerSet = N_INPUTS;
    for (let k = 0; k < HASHED_ORDERS.length; k++) {
      const order = HASHED_ORDERS[k] as number;
      let h = Math.imul(order + 1, 0x3c6ef372);
      for (let j = 0; j < order; j++) h = Math.imul(h ^ (this.history[j] as number), 0x2545f491) ^ (h >>> 13);
      this.bases[k] = h ^ (h >>> 15);
    }
    const wh = Math.imul(this.wordHash ^ 0x5bd1e995, 0x2545f491);
    this.bases[HASHED_ORDERS.length] = wh ^ (wh >>> 15);
    this.newNibble();
  }
}

/** Compresses `data`; the output decodes with {@link cmDecompress} given `data.length`. */
export function cmCompress(data: Uint8Array): Uint8Array {
  const model = new Model(data.length);
  let out = new Uint8Array(64 + (data.length >> 1));
  let n = 0;
  const put = (b: number): void => {
    if (n === out.length) {
      const next = new Uint8Array(out.length * 2);
      next.set(out);
      out = next;
    }
    out[n++] = b;
  };
  // Carry-less binary arithmetic coder: [x1, x2] is the current interval of 32-bit codes.
  let x1 = 0;
  let x2 = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    const c = data[i] as number;
    for (let b = 7; b >= 0; b--) {
      const bit = (c >> b) & 1;
      const p = model.predict();
      const range = x2 - x1;
      const xmid = x1 + Math.floor(range / 4096) * p + Math.floor(((range % 4096) * p) / 4096);
      if (bit) x2 = xmid;
      else x1 = xmid + 1;
      model.update(bit);
      while (((x1 ^ x2) & 0xff000000) === 0) {
        put(x2 >>> 24);
        x1 = (x1 << 8) >>> 0;
        x2 = ((x2 << 8) | 255) >>> 0;
      }
    }
  }
  // Any code in [x1, x2] identifies the interval; x1 itself, written in full, is one.
  for (let i = 0; i < 4; i++) put((x1 >>> (24 - 8 * i)) & 255);
  return out.subarray(0, n);
}

/**
 * Decompresses exactly `rawLength` bytes. `fail(message)` builds the error thrown when `comp` is
 * too short or has unread bytes left (the caller adds the position in the file).
 */
export function cmDecompress(comp: Uint8Array, rawLength: number, fail: (message: string) => TandemError): Uint8Array {
  if (comp.length < 4) throw fail('compressed column shorter than 4 bytes');
  const model = new Model(rawLength);
  const out = new Uint8Array(rawLength);
  let pos = 0;
  let x = 0;
  for (; pos < 4; pos++) x = ((x << 8) | (comp[pos] as number)) >>> 0;
  let x1 = 0;
  let x2 = 0xffffffff;
  for (let i = 0; i < rawLength; i++) {
    let c = 0;
    for (let b = 0; b < 8; b++) {
      const p = model.predict();
      const range = x2 - x1;
      const xmid = x1 + Math.floor(range / 4096) * p + Math.floor(((range % 4096) * p) / 4096);
      const bit = x <= xmid ? 1 : 0;
      if (bit) x2 = xmid;
      else x1 = xmid + 1;
      model.update(bit);
      c = (c << 1) | bit;
      while (((x1 ^ x2) & 0xff000000) === 0) {
        if (pos >= comp.length) throw fail('compressed column is truncated');
        x1 = (x1 << 8) >>> 0;
        x2 = ((x2 << 8) | 255) >>> 0;
        x = ((x << 8) | (comp[pos++] as number)) >>> 0;
      }
    }
    out[i] = c;
  }
  if (pos !== comp.length) throw fail(`${comp.length - pos} unread bytes after the compressed data`);
  return out;
}
