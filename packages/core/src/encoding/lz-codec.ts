/**
 * A small LZ77 codec for columns that must decode fast (the document snapshot: loading a document
 * reads it first). Byte-oriented, no entropy coding: decoding is a copy loop, so it costs about as
 * much as reading the bytes; compression finds matches through a hash of the next 4 bytes.
 *
 * Format: a sequence of tokens, each `literalCount` (varint), that many literal bytes, then — unless
 * the output is complete — `matchLength - MIN_MATCH` (varint) and `offset` (varint, 1 = the previous
 * byte). The decoder checks every count against the declared output length and every offset against
 * what has been produced, so hostile input cannot read outside the buffer or loop.
 */

const MIN_MATCH = 4;
const HASH_BITS = 15;
const MAX_OFFSET = 1 << 20;
/** Candidates tried per position: more finds longer matches, at the cost of encode time. */
const CHAIN_LIMIT = 16;

function hash4(b: Uint8Array, i: number): number {
  const v = (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
  return Math.imul(v, 2654435761) >>> (32 - HASH_BITS);
}

class Out {
  buf: Uint8Array;
  len = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  varint(v: number): void {
    this.room(8);
    while (v >= 0x80) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }
  bytes(src: Uint8Array, start: number, end: number): void {
    this.room(end - start);
    this.buf.set(src.subarray(start, end), this.len);
    this.len += end - start;
  }
}

export function lzCompress(data: Uint8Array): Uint8Array {
  const n = data.length;
  const out = new Out(n >> 1);
  const head = new Int32Array(1 << HASH_BITS).fill(-1);
  const prev = new Int32Array(n);
  let literalStart = 0;
  let i = 0;
  while (i + MIN_MATCH <= n) {
    const h = hash4(data, i);
    let best = 0;
    let bestOff = 0;
    let cand = head[h]!;
    for (let tries = 0; cand >= 0 && i - cand <= MAX_OFFSET && tries < CHAIN_LIMIT; tries++) {
      let len = 0;
      while (i + len < n && data[cand + len] === data[i + len]) len++;
      if (len > best) {
        best = len;
        bestOff = i - cand;
      }
      cand = prev[cand]!;
    }
    prev[i] = head[h]!;
    head[h] = i;
    if (best >= MIN_MATCH) {
      out.varint(i - literalStart);
      out.bytes(data, literalStart, i);
      out.varint(best - MIN_MATCH);
      out.varint(bestOff);
      // Index the positions inside the match too, so later text can refer into it.
      const end = i + best;
      for (let j = i + 1; j < end && j + MIN_MATCH <= n; j++) {
        const hj = hash4(data, j);
        prev[j] = head[hj]!;
        head[hj] = j;
      }
      i = end;
      literalStart = i;
    } else {
      i++;
    }
  }
  out.varint(n - literalStart);
  out.bytes(data, literalStart, n);
  return out.buf.slice(0, out.len);
}

/**
 * Decodes `comp` into exactly `rawLength` bytes; `fail` builds the error for malformed input.
 */
export function lzDecompress(comp: Uint8Array, rawLength: number, fail: (message: string) => Error): Uint8Array {
  const out = new Uint8Array(rawLength);
  let o = 0;
  let p = 0;
  const varint = (what: string): number => {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 8; k++) {
      if (p >= comp.length) throw fail(`truncated ${what}`);
      const b = comp[p++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    throw fail(`${what} varint too long`);
  };
  for (;;) {
    const lit = varint('literal count');
    if (lit > rawLength - o) throw fail(`literal run of ${lit} passes the end of the output`);
    if (lit > comp.length - p) throw fail('truncated literal bytes');
    out.set(comp.subarray(p, p + lit), o);
    p += lit;
    o += lit;
    if (o === rawLength) break;
    const len = varint('match length') + MIN_MATCH;
    const off = varint('match offset');
    if (off < 1 || off > o) throw fail(`match offset ${off} points before the start of the output`);
    if (len > rawLength - o) throw fail(`match of ${len} passes the end of the output`);
    for (let k = 0; k < len; k++, o++) out[o] = out[o - off]!;
  }
  if (p !== comp.length) throw fail(`${comp.length - p} trailing bytes`);
  return out;
}
