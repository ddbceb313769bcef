/**
 * The binary decoder: validates untrusted bytes in the format of binary-format.ts and rebuilds the
 * events (and snapshot). It trusts nothing: every count is capped by the input length and the
 * limits, every reference is checked to point backwards, every string is strict UTF-8, every op
 * passes checkOp. The only error it throws is TandemError ERR_DECODE, naming the byte offset.
 */
import { TandemError } from '../errors.js';
import type { Change, Event, JsonValue } from '../event.js';
import { compareEventIds, MAX_AGENT_ID_LENGTH, type AgentId, type EventId } from '../ids.js';
import { checkOp, DEFAULT_MAX_COMPONENTS, type OpComponent } from '../text-op.js';
import {
  advanceCursor,
  ChangeKind,
  ComponentType,
  DEFAULT_DECODE_MAX_AGENTS,
  DEFAULT_DECODE_MAX_EVENTS,
  DEFAULT_DECODE_MAX_TEXT_BYTES,
  EVENTS_CAP_FLOOR,
  FileKind,
  FORMAT_VERSION,
  HEADER_BYTES,
  MAGIC,
  MAX_EVENTS_PER_BYTE,
  predictPosition,
  readColumn,
  Shape,
  TRAILER_BYTES,
  type Budget,
  type Cursor,
  type DecodeLimits,
  type DocumentSnapshot,
} from './binary-format.js';
import { ByteReader, decodeError, decodeUtf8 } from './byte-reader.js';
import { crc32 } from './crc32.js';
import { checkAgent, checkKey, checkName, DEFAULT_MAX_PARENTS, MAX_KEY_LENGTH, MAX_NAME_LENGTH } from './json-event.js';
import { checkJsonValue, DEFAULT_MAX_VALUE_BYTES } from './json-value.js';

/** UTF-8 needs at most 3 bytes per UTF-16 code unit (a 4-byte sequence is two code units). */
const UTF8_PER_UNIT = 3;

export interface Limits {
  readonly maxEvents: number;
  readonly maxAgents: number;
  readonly maxParents: number;
  readonly maxValueBytes: number;
  readonly maxComponents: number;
}

/** Runs `f`, turning a TandemError from a shared validator into a decode error at `at`. */
function at<T>(r: ByteReader, offset: number, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TandemError) throw r.fail(`${what}: ${e.message}`, offset);
    throw e;
  }
}

/** Reads values stored as (value, count-1) runs, one entry at a time. */
class RunReader {
  private left = 0;
  private value = 0;
  private runAt = 0;
  constructor(
    readonly r: ByteReader,
    private readonly what: string,
    private readonly readValue: (r: ByteReader) => number,
  ) {}
  next(): number {
    if (this.left === 0) {
      if (this.r.remaining === 0) throw this.r.fail(`${this.what} column ends early`);
      this.runAt = this.r.offset;
      this.value = this.readValue(this.r);
      this.left = this.r.uvarint(`${this.what} run length`) + 1;
    }
    this.left--;
    return this.value;
  }
  get lastAt(): number {
    return this.runAt;
  }
  finish(): void {
    if (this.left !== 0) throw this.r.fail(`${this.what} column: run continues past the last entry`, this.runAt);
    this.r.expectEnd(`the ${this.what} column`);
  }
}

/** Reads position deltas stored as (zero count, non-zero value) pairs and a final zero count. */
class DeltaReader {
  private zeros = 0;
  private pending: number | undefined;
  private pairAt = 0;
  constructor(readonly r: ByteReader) {}
  next(): number {
    while (this.zeros === 0 && this.pending === undefined) {
      if (this.r.remaining === 0) throw this.r.fail('positions column ends early');
      this.pairAt = this.r.offset;
      this.zeros = this.r.uvarint('position zero run');
      if (this.r.remaining > 0) {
        const v = this.r.svarint('position delta');
        if (v === 0) throw this.r.fail('position delta of 0 outside a zero run', this.pairAt);
        this.pending = v;
      } else if (this.zeros === 0) {
        throw this.r.fail('empty final zero run', this.pairAt);
      }
    }
    if (this.zeros > 0) {
      this.zeros--;
      return 0;
    }
    const v = this.pending as number;
    this.pending = undefined;
    return v;
  }
  get lastAt(): number {
    return this.pairAt;
  }
  finish(): void {
    if (this.zeros !== 0 || this.pending !== undefined) throw this.r.fail('positions column has unused entries', this.pairAt);
    this.r.expectEnd('the positions column');
  }
}

/** Hands out the inserted text by UTF-16 lengths, refusing to split a surrogate pair. */
class TextSlicer {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly r: ByteReader,
  ) {}
  take(len: number, event: number): string {
    if (len > this.text.length - this.pos) {
      throw this.r.fail(`event ${event}: an insert of ${len} code units runs past the end of the inserted text`, 0);
    }
    const end = this.pos + len;
    const hi = this.text.charCodeAt(end - 1);
    const lo = this.text.charCodeAt(end);
    if (hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
      throw this.r.fail(`event ${event}: insert ends inside a surrogate pair (code unit ${end} of the inserted text)`, 0);
    }
    const s = this.text.slice(this.pos, end);
    this.pos = end;
    return s;
  }
  finish(): void {
    if (this.pos !== this.text.length) throw this.r.fail(`${this.text.length - this.pos} code units of inserted text are unused`, 0);
  }
}

function checkedJson(r: ByteReader, what: string, maxValueBytes: number, content: Budget): JsonValue {
  const start = r.offset;
  const s = r.string(what, maxValueBytes * UTF8_PER_UNIT);
  content.left -= s.length;
  if (content.left < 0) throw r.fail(`${what}: content exceeds maxTextBytes`, start);
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    throw r.fail(`${what} is not valid JSON`, start);
  }
  return at(r, start, what, () => checkJsonValue(v, 'value', maxValueBytes));
}

/** Reads the agent table: distinct valid ids, each with the seq of its first event in the file. */
export function readAgents(r: ByteReader, complete: boolean, maxAgents: number): { agents: AgentId[]; bases: number[] } {
  const n = r.count('agent count', 3, maxAgents);
  const agents: AgentId[] = [];
  const bases: number[] = [];
  const seen = new Set<string>();
  for (let k = 0; k < n; k++) {
    const start = r.offset;
    const s = r.string('agent id', MAX_AGENT_ID_LENGTH * UTF8_PER_UNIT);
    const agent = at(r, start, `agent ${k}`, () => checkAgent(s, 'agent id'));
    if (seen.has(s)) throw r.fail(`agent ${JSON.stringify(s)} appears twice`, start);
    seen.add(s);
    const baseAt = r.offset;
    const base = r.uvarint('agent base seq');
    if (complete && base !== 0) throw r.fail(`a document must hold each agent's events from seq 0, got ${base}`, baseAt);
    agents.push(agent);
    bases.push(base);
  }
  r.expectEnd('the agents column');
  return { agents, bases };
}

/** Reads a table of distinct strings, each validated by `check`. */
function readTable(r: ByteReader, what: string, maxUnits: number, minBytes: number, check: (v: unknown, path: string) => string): string[] {
  const n = r.count(`${what} count`, minBytes, r.remaining);
  const list: string[] = [];
  const seen = new Set<string>();
  for (let k = 0; k < n; k++) {
    const start = r.offset;
    const s = r.string(what, maxUnits * UTF8_PER_UNIT);
    at(r, start, what, () => check(s, `${what} ${k}`));
    if (seen.has(s)) throw r.fail(`${what} ${k} repeats an earlier entry`, start);
    seen.add(s);
    list.push(s);
  }
  return list;
}

export function readSnapshot(r: ByteReader, limits: Limits, content: Budget): DocumentSnapshot | undefined {
  const flagAt = r.offset;
  const flag = r.u8('snapshot flag');
  if (flag === 0) {
    r.expectEnd('the snapshot column');
    return undefined;
  }
  if (flag !== 1) throw r.fail(`unknown snapshot flag ${flag}`, flagAt);
  const texts = new Map<string, string>();
  const nTexts = r.count('snapshot text count', 2, r.remaining);
  for (let k = 0; k < nTexts; k++) {
    const start = r.offset;
    const name = r.string('snapshot text name', MAX_NAME_LENGTH * UTF8_PER_UNIT);
    at(r, start, 'snapshot text name', () => checkName(name, 'name'));
    if (texts.has(name)) throw r.fail(`snapshot text ${JSON.stringify(name)} appears twice`, start);
    const textAt = r.offset;
    const len = r.uvarint('snapshot text length');
    if (len > content.left) throw r.fail('snapshot text exceeds maxTextBytes', textAt);
    content.left -= len;
    texts.set(name, decodeUtf8(r.bytesOf(len, 'snapshot text'), 'snapshot text', r, textAt));
  }
  const maps = new Map<string, Map<string, JsonValue>>();
  const nMaps = r.count('snapshot map count', 2, r.remaining);
  for (let k = 0; k < nMaps; k++) {
    const start = r.offset;
    const name = r.string('snapshot map name', MAX_NAME_LENGTH * UTF8_PER_UNIT);
    at(r, start, 'snapshot map name', () => checkName(name, 'name'));
    if (maps.has(name)) throw r.fail(`snapshot map ${JSON.stringify(name)} appears twice`, start);
    const entries = new Map<string, JsonValue>();
    const n = r.count('snapshot map entry count', 2, r.remaining);
    for (let j = 0; j < n; j++) {
      const keyAt = r.offset;
      const key = r.string('snapshot map key', MAX_KEY_LENGTH * UTF8_PER_UNIT);
      at(r, keyAt, 'snapshot map key', () => checkKey(key, 'key'));
      if (entries.has(key)) throw r.fail(`snapshot map key ${JSON.stringify(key)} appears twice`, keyAt);
      entries.set(key, checkedJson(r, 'snapshot map value', limits.maxValueBytes, content));
    }
    maps.set(name, entries);
  }
  r.expectEnd('the snapshot column');
  return { texts, maps };
}

/**
 * Decodes a file of either kind. With `complete`, every agent's events must start at seq 0 (so no
 * parent can lie outside the file): what a document needs, whichever kind of file carries it.
 */
export function decodeFile(bytes: Uint8Array, complete: boolean, options: DecodeLimits = {}): { events: Event[]; snapshot?: DocumentSnapshot } {
  if (!(bytes instanceof Uint8Array)) throw decodeError('input must be a Uint8Array');
  const n = bytes.length;
  if (n < HEADER_BYTES + TRAILER_BYTES) throw decodeError(`truncated: ${n} bytes cannot hold the header and checksum, at byte ${n}`);
  for (let k = 0; k < MAGIC.length; k++) {
    if (bytes[k] !== MAGIC[k]) throw decodeError(`not a Tandem encoding: bad magic at byte ${k}`);
  }
  if (bytes[4] !== FORMAT_VERSION) throw decodeError(`unsupported format version ${bytes[4]} at byte 4`);
  const fileKind = bytes[5];
  if (fileKind !== FileKind.Events && fileKind !== FileKind.Document) throw decodeError(`unknown file kind ${fileKind} at byte 5`);
  const stored = ((bytes[n - 4] as number) | ((bytes[n - 3] as number) << 8) | ((bytes[n - 2] as number) << 16) | ((bytes[n - 1] as number) << 24)) >>> 0;
  if (crc32(bytes, 0, n - TRAILER_BYTES) !== stored) throw decodeError(`checksum mismatch (corrupt or truncated data) at byte ${n - TRAILER_BYTES}`);

  const limits: Limits = {
    maxEvents: Math.min(options.maxEvents ?? DEFAULT_DECODE_MAX_EVENTS, Math.max(EVENTS_CAP_FLOOR, n * MAX_EVENTS_PER_BYTE)),
    maxAgents: options.maxAgents ?? DEFAULT_DECODE_MAX_AGENTS,
    maxParents: options.maxParents ?? DEFAULT_MAX_PARENTS,
    maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
    maxComponents: options.maxOpComponents ?? DEFAULT_MAX_COMPONENTS,
  };
  const maxTextBytes = options.maxTextBytes ?? DEFAULT_DECODE_MAX_TEXT_BYTES;
  const decompressed: Budget = { left: maxTextBytes };
  const content: Budget = { left: maxTextBytes };

  const r = new ByteReader(bytes.subarray(HEADER_BYTES, n - TRAILER_BYTES), HEADER_BYTES);
  const agentsR = readColumn(r, 'agents', decompressed);
  const { agents, bases } = readAgents(agentsR, complete || fileKind === FileKind.Document, limits.maxAgents);
  const stringsR = readColumn(r, 'strings', decompressed);
  const names = readTable(stringsR, 'name', MAX_NAME_LENGTH, 2, checkName);
  const keys = readTable(stringsR, 'key', MAX_KEY_LENGTH, 1, checkKey);
  stringsR.expectEnd('the strings column');
  const runsR = readColumn(r, 'runs', decompressed);
  const changes = new RunReader(readColumn(r, 'changes', decompressed), 'changes', (c) => {
    const kindAt = c.offset;
    const k = c.u8('change kind');
    if (k > ChangeKind.MapDelete) throw c.fail(`unknown change kind ${k}`, kindAt);
    const nameAt = c.offset;
    const name = c.uvarint('change name index');
    if (name >= names.length) throw c.fail(`unknown name index ${name}`, nameAt);
    return k + 3 * name;
  });
  const shapes = new RunReader(readColumn(r, 'shapes', decompressed), 'shapes', (c) => {
    const shapeAt = c.offset;
    const s = c.u8('op shape');
    if (s > Shape.General) throw c.fail(`unknown op shape ${s}`, shapeAt);
    return s;
  });
  const positions = new DeltaReader(readColumn(r, 'positions', decompressed));
  const lengths = new RunReader(readColumn(r, 'lengths', decompressed), 'lengths', (c) => {
    const lenAt = c.offset;
    const v = c.uvarint('length');
    if (v === 0) throw c.fail('zero length', lenAt);
    return v;
  });
  const generalR = readColumn(r, 'general', decompressed);
  const textR = readColumn(r, 'text', decompressed);
  const mapsR = readColumn(r, 'maps', decompressed);
  const snapshotR = fileKind === FileKind.Document ? readColumn(r, 'snapshot', decompressed) : undefined;
  r.expectEnd('the last column');

  // The inserted text is needed whole to be sliced by UTF-16 lengths.
  const textBytes = textR.bytesOf(textR.remaining, 'inserted text');
  if (textBytes.length > content.left) throw textR.fail('inserted text exceeds maxTextBytes', 0);
  content.left -= textBytes.length;
  const text = new TextSlicer(decodeUtf8(textBytes, 'inserted text', textR, 0), textR);

  const nAgents = agents.length;
  const counts = new Array<number>(nAgents).fill(0);
  const referenced = new Uint8Array(nAgents);
  const cursors = new Array<Map<number, Cursor> | undefined>(nAgents);
  const events: Event[] = [];
  const nRuns = runsR.count('run count', 3, limits.maxEvents);
  for (let run = 0; run < nRuns; run++) {
    const runAt = runsR.offset;
    const a = runsR.uvarint('run agent index');
    if (a >= nAgents) throw runsR.fail(`unknown agent index ${a}`, runAt);
    const len = runsR.uvarint('run length') + 1;
    if (len > limits.maxEvents - events.length) throw runsR.fail(`more than ${limits.maxEvents} events`, runAt);
    const firstSeq = (bases[a] as number) + (counts[a] as number);
    if (firstSeq + len - 1 > Number.MAX_SAFE_INTEGER) throw runsR.fail('seq beyond 2^53', runAt);
    counts[a] = (counts[a] as number) + len;
    const parents = readParents(runsR, events, agents, bases, referenced, limits.maxParents);
    const agent = agents[a] as AgentId;
    let cursorMap = cursors[a];
    if (cursorMap === undefined) cursorMap = cursors[a] = new Map();
    for (let k = 0; k < len; k++) {
      const i = events.length;
      const id: EventId = { agent, seq: firstSeq + k };
      const change = readChange(i, cursorMap);
      events.push({ id, parents: k === 0 ? parents : [(events[i - 1] as Event).id], change });
    }
  }
  runsR.expectEnd('the runs column');
  for (let k = 0; k < nAgents; k++) {
    if (counts[k] === 0 && referenced[k] === 0) throw agentsR.fail(`agent ${JSON.stringify(agents[k])} has no events and is never a parent`, 0);
  }
  changes.finish();
  shapes.finish();
  positions.finish();
  lengths.finish();
  generalR.expectEnd('the general column');
  text.finish();
  mapsR.expectEnd('the maps column');
  const snapshot = snapshotR === undefined ? undefined : readSnapshot(snapshotR, limits, content);
  return snapshot === undefined ? { events } : { events, snapshot };

  function readChange(i: number, cursorMap: Map<number, Cursor>): Change {
    const key = changes.next();
    const changeKind = key % 3;
    const nameIndex = (key - changeKind) / 3;
    const name = names[nameIndex] as string;
    if (changeKind === ChangeKind.Text) {
      let cursor = cursorMap.get(nameIndex);
      if (cursor === undefined) {
        cursor = { pos: 0, forward: false };
        cursorMap.set(nameIndex, cursor);
      }
      return { type: 'text', name, op: readOp(i, cursor) };
    }
    const keyAt = mapsR.offset;
    const mapKey = keys[mapsR.uvarint('map key index')];
    if (mapKey === undefined) throw mapsR.fail(`event ${i}: unknown map key index`, keyAt);
    if (changeKind === ChangeKind.MapDelete) return { type: 'map_delete', name, key: mapKey };
    return { type: 'map_set', name, key: mapKey, value: checkedJson(mapsR, `event ${i} map value`, limits.maxValueBytes, content) };
  }

  function readOp(i: number, cursor: Cursor): readonly OpComponent[] {
    const shape = shapes.next();
    const comps: OpComponent[] = [];
    let where: ByteReader;
    let whereAt: number;
    if (shape === Shape.General) {
      where = generalR;
      whereAt = generalR.offset;
      const count = generalR.count(`event ${i} component count`, 2, limits.maxComponents);
      let pos = 0;
      let end = cursor.pos;
      for (let k = 0; k < count; k++) {
        const typeAt = generalR.offset;
        const type = generalR.u8('component type');
        if (type > ComponentType.Delete) throw generalR.fail(`event ${i}: unknown component type ${type}`, typeAt);
        const len = generalR.uvarint('component length');
        if (len === 0) throw generalR.fail(`event ${i}: zero-length component`, typeAt);
        if (type === ComponentType.Insert) {
          comps.push({ type: 'insert', content: text.take(len, i) });
          pos += len;
          end = pos;
        } else if (type === ComponentType.Retain) {
          comps.push({ type: 'retain', length: len });
          pos += len;
        } else {
          comps.push({ type: 'delete', length: len });
          end = pos;
        }
      }
      cursor.pos = end;
    } else {
      where = positions.r;
      const pos = predictPosition(cursor, shape) + positions.next();
      whereAt = positions.lastAt;
      if (!Number.isSafeInteger(pos) || pos < 0) throw positions.r.fail(`event ${i}: position ${pos} is out of range`, whereAt);
      if (pos > 0) comps.push({ type: 'retain', length: pos });
      let insLen = 0;
      if (shape !== Shape.Delete) {
        insLen = lengths.next();
        comps.push({ type: 'insert', content: text.take(insLen, i) });
      }
      if (shape !== Shape.Insert) comps.push({ type: 'delete', length: lengths.next() });
      advanceCursor(cursor, shape, pos, insLen);
    }
    return at(where, whereAt, `event ${i} op`, () => checkOp(comps, { maxComponents: limits.maxComponents }));
  }
}

/** Reads the parents of a run's first event: distinct, pointing backwards, sorted. */
function readParents(
  r: ByteReader,
  events: readonly Event[],
  agents: readonly AgentId[],
  bases: readonly number[],
  referenced: Uint8Array,
  maxParents: number,
): EventId[] {
  const np = r.count('parent count', 1, maxParents);
  const parents: EventId[] = [];
  for (let k = 0; k < np; k++) {
    const refAt = r.offset;
    const ref = r.uvarint('parent ref');
    if (ref % 2 === 0) {
      const back = ref / 2;
      if (back < 1 || back > events.length) throw r.fail(`parent ref ${back} events back does not point to an earlier event`, refAt);
      parents.push((events[events.length - back] as Event).id);
    } else {
      const a = (ref - 1) / 2;
      if (a >= agents.length) throw r.fail(`parent names unknown agent index ${a}`, refAt);
      const seq = r.uvarint('parent seq');
      if (seq >= (bases[a] as number)) {
        throw r.fail(`parent ${JSON.stringify(agents[a])}:${seq} is not before the agent's first seq in the file`, refAt);
      }
      referenced[a] = 1;
      parents.push({ agent: agents[a] as AgentId, seq });
    }
  }
  parents.sort(compareEventIds);
  for (let k = 1; k < parents.length; k++) {
    if (compareEventIds(parents[k - 1] as EventId, parents[k] as EventId) === 0) throw r.fail('a parent is listed twice', r.offset);
  }
  return parents;
}
