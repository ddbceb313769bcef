/**
 * ByteReader: the bounds-checked input cursor of the binary decoder. Every read validates its input
 * and fails with TandemError ERR_DECODE naming what was being read and the byte offset, so hostile
 * bytes can never surface as a RangeError, an endless loop or an oversized allocation.
 */
import { CoreErrorCode, TandemError } from '../errors.js';
import { MAX_VARINT } from './byte-writer.js';

/** LEB128 of at most 8 bytes carries 56 bits, enough for MAX_VARINT; longer is always corrupt. */
const MAX_VARINT_BYTES = 8;

// ignoreBOM keeps a leading U+FEFF as text: by default TextDecoder would silently drop it.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeError(message: string): TandemError {
  return new TandemError(CoreErrorCode.Decode, message);
}

export class ByteReader {
  private pos = 0;

  /**
   * @param bytes the data to read (often a subarray of the whole file)
   * @param base offset of `bytes[0]` in the enclosing data, so messages give absolute offsets
   * @param label names the data when it is not the file itself (a decompressed column)
   */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly base = 0,
    private readonly label = '',
  ) {}

  get offset(): number {
    return this.pos;
  }
  /** Offset of the cursor in the enclosing data (the file, or the decompressed column). */
  get absoluteOffset(): number {
    return this.base + this.pos;
  }
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Where `at` is, for messages. */
  where(at: number = this.pos): string {
    return `byte ${this.base + at}${this.label === '' ? '' : ` of ${this.label}`}`;
  }

  fail(message: string, at: number = this.pos): TandemError {
    return decodeError(`${message} at ${this.where(at)}`);
  }

  u8(what: string): number {
    if (this.pos >= this.bytes.length) throw this.fail(`truncated: expected ${what}`);
    return this.bytes[this.pos++] as number;
  }

  /** Unsigned LEB128, canonical (no redundant trailing zero groups), at most `max`. */
  uvarint(what: string, max: number = MAX_VARINT): number {
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (i >= MAX_VARINT_BYTES) throw this.fail(`${what}: varint longer than ${MAX_VARINT_BYTES} bytes`, start);
      if (this.pos >= this.bytes.length) throw this.fail(`truncated: expected ${what}`, start);
      const b = this.bytes[this.pos++] as number;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw this.fail(`${what}: overlong varint`, start);
        break;
      }
      scale *= 0x80;
    }
    if (value > MAX_VARINT) throw this.fail(`${what}: ${value} is beyond 2^53`, start);
    if (value > max) throw this.fail(`${what}: ${value} exceeds the maximum ${max}`, start);
    return value;
  }

  /** Zigzag-mapped signed varint. */
  svarint(what: string): number {
    const z = this.uvarint(what);
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /**
   * A count of items that each take at least `minBytes` of the remaining input, so a forged count
   * can never make the caller allocate or loop beyond what the input could hold.
   */
  count(what: string, minBytes: number, limit: number): number {
    const start = this.pos;
    const n = this.uvarint(what);
    if (n > limit) throw this.fail(`${what}: ${n} exceeds the limit of ${limit}`, start);
    if (minBytes > 0 && n > this.remaining / minBytes) {
      throw this.fail(`${what}: ${n} items cannot fit in the ${this.remaining} remaining bytes`, start);
    }
    return n;
  }

  bytesOf(n: number, what: string): Uint8Array {
    if (n > this.remaining) throw this.fail(`truncated: ${what} needs ${n} bytes, ${this.remaining} remain`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Length-prefixed strict UTF-8. */
  string(what: string, maxBytes: number = MAX_VARINT): string {
    const start = this.pos;
    const n = this.uvarint(`${what} length`, maxBytes);
    const b = this.bytesOf(n, what);
    return decodeUtf8(b, what, this, start);
  }

  /** Fails unless every byte was consumed: trailing bytes mean a corrupt or foreign encoding. */
  expectEnd(what: string): void {
    if (this.pos !== this.bytes.length) throw this.fail(`${this.bytes.length - this.pos} trailing bytes after ${what}`);
  }
}

/** Strict UTF-8 decoding; invalid sequences (including encoded surrogates) are decode errors. */
export function decodeUtf8(b: Uint8Array, what: string, reader: ByteReader, at: number): string {
  try {
    return utf8Decoder.decode(b);
  } catch {
    throw reader.fail(`${what} is not valid UTF-8`, at);
  }
}
