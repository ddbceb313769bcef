/**
 * ByteWriter: the growable output buffer of the binary encoder, with the primitive encodings of the
 * format (bytes, unsigned and zigzag-signed LEB128 varints, length-prefixed UTF-8 strings).
 */
import { CoreErrorCode, TandemError } from '../errors.js';

/** Largest value a varint may carry: every decoded number must stay an exact JS integer. */
export const MAX_VARINT = Number.MAX_SAFE_INTEGER;
/** Largest magnitude a signed varint may carry, so its zigzag form stays within MAX_VARINT. */
export const MAX_SIGNED_VARINT = 2 ** 52 - 1;

const utf8Encoder = new TextEncoder();

export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.len;
  }

  /** Makes room for `n` more bytes, doubling so appends stay amortized O(1). */
  private reserve(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b & 0xff;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Little-endian 32-bit unsigned integer (used for the checksum trailer). */
  u32le(v: number): void {
    this.reserve(4);
    for (let i = 0; i < 4; i++) this.buf[this.len++] = (v >>> (8 * i)) & 0xff;
  }

  /**
   * Unsigned LEB128. Uses division rather than bit operators because values may exceed 32 bits.
   * Values are limited to MAX_VARINT so the decoder's 8-byte cap is never hit by valid data.
   */
  uvarint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new TandemError(CoreErrorCode.InvalidEvent, `cannot encode ${v}: not a non-negative safe integer`);
    }
    this.reserve(8);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  /** Zigzag-mapped signed varint: small magnitudes of either sign stay short. */
  svarint(v: number): void {
    if (!Number.isSafeInteger(v) || Math.abs(v) > MAX_SIGNED_VARINT) {
      throw new TandemError(CoreErrorCode.InvalidEvent, `cannot encode ${v}: outside the signed varint range`);
    }
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** UTF-8 bytes preceded by their count. The caller guarantees `s` has no unpaired surrogate. */
  string(s: string): void {
    const b = utf8Encoder.encode(s);
    this.uvarint(b.length);
    this.bytes(b);
  }

  /** The bytes written so far (a view; the writer must not be used afterwards). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** UTF-8 bytes of `s`; the caller guarantees `s` is well-formed UTF-16. */
export function utf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}
