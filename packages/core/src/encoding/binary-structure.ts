/**
 * Reads only the structure of a document file: its agents, the runs of its event graph (who, which
 * seqs, which parents) and its snapshot — not the operations. Loading a document needs exactly this:
 * the text comes from the snapshot and the graph tells the version; the operations are decoded later,
 * only if history is ever needed (a merge with old concurrent events, an export). The same checks as
 * the full decoder apply to what is read.
 */
import { compareEventIds } from '../ids.js';
import type { AgentId, EventId } from '../ids.js';
import { ByteReader, decodeError } from './byte-reader.js';
import { crc32 } from './crc32.js';
import { readAgents, readSnapshot } from './binary-decode.js';
import type { Limits } from './binary-decode.js';
import {
  DEFAULT_DECODE_MAX_AGENTS,
  DEFAULT_DECODE_MAX_EVENTS,
  DEFAULT_DECODE_MAX_TEXT_BYTES,
  EVENTS_CAP_FLOOR,
  FileKind,
  FORMAT_VERSION,
  HEADER_BYTES,
  MAGIC,
  MAX_EVENTS_PER_BYTE,
  readColumn,
  TRAILER_BYTES,
} from './binary-format.js';
import type { Budget, DecodeLimits, DocumentSnapshot } from './binary-format.js';
import { DEFAULT_MAX_PARENTS } from './json-event.js';
import { DEFAULT_MAX_VALUE_BYTES } from './json-value.js';
import { DEFAULT_MAX_COMPONENTS } from '../text-op.js';

/** A run of one agent's consecutive events, each the child of the previous. */
export interface StructureRun {
  readonly agent: AgentId;
  readonly seq: number;
  readonly len: number;
  /** Parents of the run's first event, sorted. */
  readonly parents: readonly EventId[];
}

export interface DocumentStructure {
  readonly runs: readonly StructureRun[];
  readonly eventCount: number;
  readonly snapshot: DocumentSnapshot | undefined;
}

export function decodeStructure(bytes: Uint8Array, options: DecodeLimits = {}): DocumentStructure {
  if (!(bytes instanceof Uint8Array)) throw decodeError('input must be a Uint8Array');
  const n = bytes.length;
  if (n < HEADER_BYTES + TRAILER_BYTES) throw decodeError(`truncated: ${n} bytes cannot hold the header and checksum, at byte ${n}`);
  for (let k = 0; k < MAGIC.length; k++) if (bytes[k] !== MAGIC[k]) throw decodeError(`not a Tandem encoding: bad magic at byte ${k}`);
  if (bytes[4] !== FORMAT_VERSION) throw decodeError(`unsupported format version ${bytes[4]} at byte 4`);
  if (bytes[5] !== FileKind.Document) throw decodeError(`expected a document file (kind ${FileKind.Document}), got kind ${bytes[5]} at byte 5`);
  const stored = ((bytes[n - 4] as number) | ((bytes[n - 3] as number) << 8) | ((bytes[n - 2] as number) << 16) | ((bytes[n - 1] as number) << 24)) >>> 0;
  if (crc32(bytes, 0, n - TRAILER_BYTES) !== stored) throw decodeError(`checksum mismatch (corrupt or truncated data) at byte ${n - TRAILER_BYTES}`);
  const limits: Limits = {
    maxEvents: Math.min(options.maxEvents ?? DEFAULT_DECODE_MAX_EVENTS, Math.max(EVENTS_CAP_FLOOR, n * MAX_EVENTS_PER_BYTE)),
    maxAgents: options.maxAgents ?? DEFAULT_DECODE_MAX_AGENTS,
    maxParents: options.maxParents ?? DEFAULT_MAX_PARENTS,
    maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
    maxComponents: options.maxOpComponents ?? DEFAULT_MAX_COMPONENTS,
  };
  const budget: Budget = { left: options.maxTextBytes ?? DEFAULT_DECODE_MAX_TEXT_BYTES };
  const content: Budget = { left: options.maxTextBytes ?? DEFAULT_DECODE_MAX_TEXT_BYTES };
  const r = new ByteReader(bytes.subarray(HEADER_BYTES, n - TRAILER_BYTES), HEADER_BYTES);
  const { agents } = readAgents(readColumn(r, 'agents', budget), true, limits.maxAgents);
  skipColumn(r, 'strings');
  const runsR = readColumn(r, 'runs', budget);
  for (const name of ['changes', 'shapes', 'positions', 'lengths', 'general', 'text', 'maps']) skipColumn(r, name);
  const snapshot = readSnapshot(readColumn(r, 'snapshot', budget), limits, content);
  r.expectEnd('the last column');

  // Event index -> (agent, seq), through the run starts, to resolve "d events back" parent refs.
  const runs: StructureRun[] = [];
  const starts: number[] = [];
  const counts = new Array<number>(agents.length).fill(0);
  let total = 0;
  const idAt = (index: number): EventId => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    const run = runs[lo]!;
    return { agent: run.agent, seq: run.seq + (index - starts[lo]!) };
  };
  const nRuns = runsR.count('run count', 3, limits.maxEvents);
  for (let k = 0; k < nRuns; k++) {
    const runAt = runsR.offset;
    const a = runsR.uvarint('run agent index');
    if (a >= agents.length) throw runsR.fail(`unknown agent index ${a}`, runAt);
    const len = runsR.uvarint('run length') + 1;
    if (len > limits.maxEvents - total) throw runsR.fail(`more than ${limits.maxEvents} events`, runAt);
    const np = runsR.count('parent count', 1, limits.maxParents);
    const parents: EventId[] = [];
    for (let p = 0; p < np; p++) {
      const refAt = runsR.offset;
      const ref = runsR.uvarint('parent ref');
      if (ref % 2 !== 0) throw runsR.fail('a document cannot name parents outside itself', refAt);
      const back = ref / 2;
      if (back < 1 || back > total) throw runsR.fail(`parent ref ${back} events back does not point to an earlier event`, refAt);
      parents.push(idAt(total - back));
    }
    parents.sort(compareEventIds);
    for (let p = 1; p < parents.length; p++) {
      if (compareEventIds(parents[p - 1]!, parents[p]!) === 0) throw runsR.fail('a parent is listed twice', runsR.offset);
    }
    const agent = agents[a]!;
    runs.push({ agent, seq: counts[a]!, len, parents });
    starts.push(total);
    counts[a]! += len;
    total += len;
  }
  runsR.expectEnd('the runs column');
  return { runs, eventCount: total, snapshot };
}

/** Steps over a column without decompressing it. */
function skipColumn(r: ByteReader, name: string): void {
  const modeAt = r.offset;
  const mode = r.u8(`${name} column mode`);
  if (mode === 0) {
    r.bytesOf(r.uvarint(`${name} column length`), `${name} column`);
  } else if (mode === 1 || mode === 2) {
    r.uvarint(`${name} column decompressed length`);
    r.bytesOf(r.uvarint(`${name} column compressed length`), `${name} compressed column`);
  } else {
    throw r.fail(`${name} column: unknown mode ${mode}`, modeAt);
  }
}
