/**
 * The constants and public types of the binary storage format, and its column framing (each column
 * stored raw or compressed). The layout, version 1:
 *
 *   "TNDM" magic | version u8 | kind u8 (1 events, 2 document) | columns... | CRC-32 u32 LE
 *
 * Every column is `mode u8` then, raw (0): `length, bytes`; compressed (1): `rawLength,
 * compLength, bytes` (see cm-codec.ts). Numbers are LEB128 varints (zigzag when signed). Columns, in
 * order (binary-encode.ts writes them, binary-decode.ts reads them):
 *
 *   agents    count, then per agent: UTF-8 id, base seq (its first seq in the file; an events-only
 *             file may start mid-history, a document always starts at 0)
 *   strings   text/map names table, then map keys table
 *   runs      count, then per run: agent index, length-1, parent count, parent refs. A run is
 *             consecutive events of one agent whose parents are exactly the previous event; seqs
 *             are implicit (each agent's events are consecutive in file order). A parent ref is
 *             2*d for the event d positions back, or 2*agent+1 then seq for an event before the
 *             file (seq below that agent's base).
 *   changes   RLE of (kind, name index, count-1) over all events
 *   shapes    RLE of (shape, count-1) over text events: most keystroke ops are one insert or one
 *             delete at a position, which need no component list
 *   positions position deltas of shaped ops against a per-(agent, text) cursor prediction, as
 *             runs of zeros: (zero count, non-zero value)...
 *   lengths   RLE of (length, count-1): insert lengths (UTF-16) and delete lengths of shaped ops
 *   general   the other ops: component count, then (type, length) per component
 *   text      all inserted text, concatenated, UTF-8 (sliced back by the UTF-16 lengths above)
 *   maps      per map change: key index, and for map_set the value as JSON text
 *   snapshot  (documents only) flag, then texts (name, content) and maps (name, entries)
 */
import type { Event, JsonValue } from '../event.js';
import { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';
import { cmCompress, cmDecompress } from './cm-codec.js';
import { lzCompress, lzDecompress } from './lz-codec.js';
import type { TandemError } from '../errors.js';

export const MAGIC: readonly number[] = [0x54, 0x4e, 0x44, 0x4d];
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 6;
export const TRAILER_BYTES = 4;

export const FileKind = { Events: 1, Document: 2 } as const;
export type FileKind = (typeof FileKind)[keyof typeof FileKind];

export const ChangeKind = { Text: 0, MapSet: 1, MapDelete: 2 } as const;

/** Op shapes: the common one-edit forms and the general fallback. */
export const Shape = {
  /** [retain p]? [insert s] */
  Insert: 0,
  /** [retain p]? [delete n] */
  Delete: 1,
  /** [retain p]? [insert s] [delete n] (typing over a selection, in canonical order) */
  Replace: 2,
  /** anything else: explicit components */
  General: 3,
} as const;

export const ComponentType = { Retain: 0, Insert: 1, Delete: 2 } as const;

export interface DocumentSnapshot {
  readonly texts: ReadonlyMap<string, string>;
  readonly maps: ReadonlyMap<string, ReadonlyMap<string, JsonValue>>;
}

export interface EncodedDocument {
  /** All events in a topological order (every event after its parents). */
  readonly events: readonly Event[];
  /** Optional snapshot of the materialized state at the version made of ALL those events, so loading needs no replay. */
  readonly snapshot?: DocumentSnapshot;
}

export interface EncodeOptions {
  /**
   * Column compression: true (default) for the smallest files (the operation columns use a
   * context-mixing codec, slow to encode and decode), 'fast' for quick encoding (every column uses
   * the LZ77 codec; what a server writing snapshots often wants), false for none.
   */
  readonly compress?: boolean | 'fast';
}

export interface DecodeLimits {
  /** Most events in one encoding. Default 10_000_000. */
  readonly maxEvents?: number;
  /** Most agents in one encoding. Default 1_000_000. */
  readonly maxAgents?: number;
  /**
   * Most bytes of content (inserted text, snapshot texts, map values) and, separately, most bytes
   * produced by decompressing columns. Default 256 MiB.
   */
  readonly maxTextBytes?: number;
  /** Most parents of one event. Default 64 (as for JSON events). */
  readonly maxParents?: number;
  /** Largest map value, as the length of its JSON text. Default 64 KiB (as for JSON events). */
  readonly maxValueBytes?: number;
  /** Most components of one text op, passed to checkOp. Default: checkOp's own. */
  readonly maxOpComponents?: number;
}

export const DEFAULT_DECODE_MAX_EVENTS = 10_000_000;
export const DEFAULT_DECODE_MAX_AGENTS = 1_000_000;
export const DEFAULT_DECODE_MAX_TEXT_BYTES = 256 * 1024 * 1024;

/**
 * Run-length encoding lets a few bytes describe many events, so counts cannot be capped by the
 * input length one-for-one. This ratio caps them instead, bounding the memory a small hostile input
 * can make the decoder allocate. Real histories stay far below it (every insert costs text bytes
 * and compression is capped at MAX_CM_RATIO); the encoder refuses the rare history beyond it.
 */
export const MAX_EVENTS_PER_BYTE = 256;
/** Below this many events the per-byte cap does not apply (tiny files of deletes are fine). */
export const EVENTS_CAP_FLOOR = 4096;

/** Compressed columns may expand at most this much, so decompression cannot be a memory bomb. */
export const MAX_CM_RATIO = 64;
/** Columns shorter than this are stored raw: compression would not pay for its warm-up. */
const CM_MIN_BYTES = 48;

export const ColumnMode = { Raw: 0, Compressed: 1, Fast: 2 } as const;

/** How a column may be stored: `cm` (smallest, slow), `fast` (LZ77: decodes at copy speed), or raw. */
export type ColumnCompression = 'cm' | 'fast' | 'none';

/** Writes one column, compressed when that is smaller and within the decoder's expansion cap. */
export function writeColumn(w: ByteWriter, data: Uint8Array, compress: boolean | ColumnCompression): void {
  if (compress === 'fast' && data.length >= CM_MIN_BYTES) {
    const comp = lzCompress(data);
    if (comp.length + 4 < data.length && data.length <= comp.length * MAX_CM_RATIO) {
      w.u8(ColumnMode.Fast);
      w.uvarint(data.length);
      w.uvarint(comp.length);
      w.bytes(comp);
      return;
    }
  }
  if ((compress === true || compress === 'cm') && data.length >= CM_MIN_BYTES) {
    const comp = cmCompress(data);
    if (comp.length + 4 < data.length && data.length <= comp.length * MAX_CM_RATIO) {
      w.u8(ColumnMode.Compressed);
      w.uvarint(data.length);
      w.uvarint(comp.length);
      w.bytes(comp);
      return;
    }
  }
  w.u8(ColumnMode.Raw);
  w.uvarint(data.length);
  w.bytes(data);
}

/** Byte budget shared by every decompressed column of one decode. */
export interface Budget {
  left: number;
}

/**
 * Reads one column and returns a reader over its (decompressed) bytes. Offsets in messages stay
 * absolute for raw columns; decompressed columns are named in the message.
 */
export function readColumn(r: ByteReader, name: string, budget: Budget): ByteReader {
  const modeAt = r.offset;
  const mode = r.u8(`${name} column mode`);
  if (mode === ColumnMode.Raw) {
    const n = r.uvarint(`${name} column length`);
    const base = r.absoluteOffset;
    return new ByteReader(r.bytesOf(n, `${name} column`), base);
  }
  if (mode !== ColumnMode.Compressed && mode !== ColumnMode.Fast) throw r.fail(`${name} column: unknown mode ${mode}`, modeAt);
  const rawAt = r.offset;
  const rawLength = r.uvarint(`${name} column decompressed length`);
  const compLength = r.uvarint(`${name} column compressed length`);
  const compAt = r.offset;
  const comp = r.bytesOf(compLength, `${name} compressed column`);
  if (rawLength > compLength * MAX_CM_RATIO) {
    throw r.fail(`${name} column: ${compLength} compressed bytes cannot expand to ${rawLength}`, rawAt);
  }
  if (rawLength > budget.left) throw r.fail(`${name} column: decompressed data exceeds the limit`, rawAt);
  budget.left -= rawLength;
  const fail = (message: string): TandemError => r.fail(`${name} column: ${message}`, compAt);
  const data = mode === ColumnMode.Fast ? lzDecompress(comp, rawLength, fail) : cmDecompress(comp, rawLength, fail);
  return new ByteReader(data, 0, `the decompressed ${name} column`);
}

/**
 * Where the next op of one agent in one text is expected: keystroke ops mostly continue where the
 * previous one left off, so storing the difference from this prediction makes positions mostly 0.
 * Encoder and decoder run exactly the same updates.
 */
export interface Cursor {
  pos: number;
  /** Whether the last delete was a forward delete (at the cursor) rather than a backspace. */
  forward: boolean;
}

export function predictPosition(c: Cursor, shape: number): number {
  if (shape === Shape.Delete) return c.forward ? c.pos : c.pos - 1;
  return c.pos;
}

/** Moves the cursor past a shaped op at `pos` inserting `insLen` code units. */
export function advanceCursor(c: Cursor, shape: number, pos: number, insLen: number): void {
  if (shape === Shape.Delete) {
    c.forward = pos === c.pos;
    c.pos = pos;
  } else {
    c.pos = pos + insLen;
  }
}
