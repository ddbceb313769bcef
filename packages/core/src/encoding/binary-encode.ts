/**
 * The binary encoder: turns events (and an optional snapshot) into the columnar, run-length encoded
 * format described in binary-format.ts. It trusts nothing it cannot represent exactly: inputs that
 * would not round-trip (gaps in an agent's seqs, parents after their children, unpaired surrogates,
 * non-JSON values) fail with TandemError ERR_INVALID_EVENT instead of producing a lossy file.
 */
import { CoreErrorCode, TandemError } from '../errors.js';
import type { Event, JsonValue } from '../event.js';
import { compareEventIds, type EventId } from '../ids.js';
import type { OpComponent, TextOp } from '../text-op.js';
import {
  advanceCursor,
  ChangeKind,
  ComponentType,
  EVENTS_CAP_FLOOR,
  FileKind,
  FORMAT_VERSION,
  MAGIC,
  MAX_EVENTS_PER_BYTE,
  predictPosition,
  Shape,
  writeColumn,
  type Cursor,
  type DocumentSnapshot,
  type EncodeOptions,
} from './binary-format.js';
import { ByteWriter, MAX_SIGNED_VARINT, utf8 } from './byte-writer.js';
import { crc32 } from './crc32.js';
import { checkAgent, checkKey, checkName } from './json-event.js';
import { describe, invalidEvent, isWellFormed } from './json-value.js';

interface AgentInfo {
  readonly index: number;
  readonly agent: string;
  /** First seq in the file; for agents only named as parents, one past the highest seq named. */
  base: number;
  /** File index of each of the agent's events, by seq - base. */
  readonly events: number[];
  readonly cursors: Map<number, Cursor>;
}

/** Strings stored once and referred to by index, validated when first seen. */
class StringTable {
  readonly list: string[] = [];
  private readonly ids = new Map<string, number>();
  constructor(private readonly check: (v: unknown, path: string) => string) {}
  id(s: string, path: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      this.check(s, path);
      id = this.list.length;
      this.ids.set(s, id);
      this.list.push(s);
    }
    return id;
  }
}

/** Run-length encoder over numeric keys; `flush` writes one (key, count) run. */
class Rle {
  private key = -1;
  private count = 0;
  constructor(private readonly flush: (key: number, count: number) => void) {}
  push(key: number): void {
    if (key === this.key) {
      this.count++;
      return;
    }
    this.end();
    this.key = key;
    this.count = 1;
  }
  end(): void {
    if (this.count > 0) this.flush(this.key, this.count);
    this.count = 0;
  }
}

function positiveLength(n: unknown, path: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
    throw invalidEvent(`${path} must be a positive safe integer, got ${describe(n)}`);
  }
  return n;
}

function insertContent(s: unknown, path: string): string {
  if (typeof s !== 'string' || s.length === 0 || !isWellFormed(s)) {
    throw invalidEvent(`${path} must be a non-empty well-formed string, got ${describe(s)}`);
  }
  return s;
}

function jsonText(v: JsonValue, path: string): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch (e) {
    throw invalidEvent(`${path} cannot be written as JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (s === undefined) throw invalidEvent(`${path} is not a JSON value, got ${describe(v)}`);
  return s;
}

/** All columns of one file, filled event by event. */
class Columns {
  readonly agentsByName = new Map<string, AgentInfo>();
  readonly agents: AgentInfo[] = [];
  readonly names = new StringTable(checkName);
  readonly keys = new StringTable(checkKey);
  readonly runs = new ByteWriter();
  runCount = 0;
  readonly changes = new ByteWriter();
  readonly shapes = new ByteWriter();
  readonly positions = new ByteWriter();
  readonly lengths = new ByteWriter();
  readonly general = new ByteWriter();
  readonly text: string[] = [];
  readonly maps = new ByteWriter();
  private zeros = 0;
  readonly changeRle = new Rle((key, count) => {
    this.changes.u8(key % 3);
    this.changes.uvarint(Math.floor(key / 3));
    this.changes.uvarint(count - 1);
  });
  readonly shapeRle = new Rle((key, count) => {
    this.shapes.u8(key);
    this.shapes.uvarint(count - 1);
  });
  readonly lengthRle = new Rle((key, count) => {
    this.lengths.uvarint(key);
    this.lengths.uvarint(count - 1);
  });

  agent(agent: string, path: string): AgentInfo {
    let a = this.agentsByName.get(agent);
    if (a === undefined) {
      checkAgent(agent, path);
      a = { index: this.agents.length, agent, base: 0, events: [], cursors: new Map() };
      this.agentsByName.set(agent, a);
      this.agents.push(a);
    }
    return a;
  }

  position(delta: number): void {
    if (delta === 0) {
      this.zeros++;
      return;
    }
    this.positions.uvarint(this.zeros);
    this.positions.svarint(delta);
    this.zeros = 0;
  }

  end(): void {
    this.changeRle.end();
    this.shapeRle.end();
    this.lengthRle.end();
    if (this.zeros > 0) this.positions.uvarint(this.zeros);
    this.zeros = 0;
  }
}

/** Assigns agents and checks each agent's seqs are consecutive in file order. */
function indexEvents(cols: Columns, events: readonly Event[], kind: FileKind): Int32Array {
  const agentOf = new Int32Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const id = (events[i] as Event).id;
    const a = cols.agent(id.agent, `events[${i}].id.agent`);
    if (typeof id.seq !== 'number' || !Number.isSafeInteger(id.seq) || id.seq < 0) {
      throw invalidEvent(`events[${i}].id.seq must be a non-negative safe integer, got ${describe(id.seq)}`);
    }
    if (a.events.length === 0) {
      if (kind === FileKind.Document && id.seq !== 0) {
        throw invalidEvent(`events[${i}]: a document must hold ${describe(a.agent)}'s events from seq 0, found ${id.seq} first`);
      }
      a.base = id.seq;
    } else if (id.seq !== a.base + a.events.length) {
      throw invalidEvent(
        `events[${i}]: ${describe(a.agent)}:${id.seq} does not follow ${a.base + a.events.length - 1}; an agent's events must be consecutive and in order`,
      );
    }
    a.events.push(i);
    agentOf[i] = a.index;
  }
  return agentOf;
}

/** Parent refs of event `i` (one per parent): back distances within the file, (agent, seq) before it. */
function parentRefs(cols: Columns, parents: readonly EventId[], i: number, kind: FileKind, external: Map<AgentInfo, number>): number[] {
  const refs: number[] = [];
  for (const p of parents) {
    const a = cols.agent(p.agent, `events[${i}].parents`);
    if (typeof p.seq !== 'number' || !Number.isSafeInteger(p.seq) || p.seq < 0) {
      throw invalidEvent(`events[${i}].parents: seq must be a non-negative safe integer, got ${describe(p.seq)}`);
    }
    if (a.events.length > 0 && p.seq >= a.base) {
      const at = a.events[p.seq - a.base];
      if (at === undefined || at >= i) {
        throw invalidEvent(`events[${i}]: parent ${describe(p.agent)}:${p.seq} is not an earlier event (events must be in topological order)`);
      }
      refs.push(2 * (i - at));
    } else if (kind === FileKind.Document) {
      throw invalidEvent(`events[${i}]: parent ${describe(p.agent)}:${p.seq} is not in the document`);
    } else {
      if (a.events.length === 0) external.set(a, Math.max(external.get(a) ?? 0, p.seq + 1));
      refs.push(2 * a.index + 1, p.seq);
    }
  }
  return refs;
}

/** Parents sorted by compareEventIds, refusing duplicates (which the decoder would refuse too). */
function sortedParents(e: Event, i: number): readonly EventId[] {
  const ps = e.parents;
  if (!Array.isArray(ps)) throw invalidEvent(`events[${i}].parents must be an array`);
  let sorted = true;
  for (let k = 1; k < ps.length; k++) if (compareEventIds(ps[k - 1] as EventId, ps[k] as EventId) >= 0) sorted = false;
  if (sorted) return ps;
  const copy = [...ps].sort(compareEventIds);
  for (let k = 1; k < copy.length; k++) {
    if (compareEventIds(copy[k - 1] as EventId, copy[k] as EventId) === 0) throw invalidEvent(`events[${i}].parents lists an id twice`);
  }
  return copy;
}

function encodeTextOp(cols: Columns, op: TextOp, cursor: Cursor, path: string): void {
  if (!Array.isArray(op)) throw invalidEvent(`${path} must be an array of components`);
  const first = op[0] as OpComponent | undefined;
  const skip = first !== undefined && first.type === 'retain' ? 1 : 0;
  const pos = skip === 1 ? positiveLength((first as { length: unknown }).length, `${path}[0].length`) : 0;
  const a = op[skip] as OpComponent | undefined;
  const b = op[skip + 1] as OpComponent | undefined;
  let shape: number = Shape.General;
  if (op.length === skip + 1 && a?.type === 'insert') shape = Shape.Insert;
  else if (op.length === skip + 1 && a?.type === 'delete') shape = Shape.Delete;
  else if (op.length === skip + 2 && a?.type === 'insert' && b?.type === 'delete') shape = Shape.Replace;
  const predicted = predictPosition(cursor, shape);
  const delta = pos - predicted;
  // Absurd positions (near 2^53) may not survive the delta arithmetic exactly: store those in full.
  if (Math.abs(delta) > MAX_SIGNED_VARINT || predicted + delta !== pos) shape = Shape.General;
  cols.shapeRle.push(shape);
  if (shape === Shape.General) {
    encodeGeneral(cols, op, cursor, path);
    return;
  }
  cols.position(delta);
  let insLen = 0;
  if (a !== undefined && a.type === 'insert') {
    const s = insertContent(a.content, `${path}[${skip}].content`);
    cols.text.push(s);
    cols.lengthRle.push(s.length);
    insLen = s.length;
  }
  const del = a?.type === 'delete' ? a : b?.type === 'delete' ? b : undefined;
  if (del !== undefined) cols.lengthRle.push(positiveLength(del.length, `${path}.delete length`));
  advanceCursor(cursor, shape, pos, insLen);
}

function encodeGeneral(cols: Columns, op: TextOp, cursor: Cursor, path: string): void {
  const w = cols.general;
  w.uvarint(op.length);
  let at = 0;
  let end = cursor.pos;
  for (let k = 0; k < op.length; k++) {
    const c = op[k] as OpComponent;
    const cp = `${path}[${k}]`;
    if (c.type === 'insert') {
      const s = insertContent(c.content, `${cp}.content`);
      cols.text.push(s);
      w.u8(ComponentType.Insert);
      w.uvarint(s.length);
      at += s.length;
      end = at;
    } else if (c.type === 'retain' || c.type === 'delete') {
      w.u8(c.type === 'retain' ? ComponentType.Retain : ComponentType.Delete);
      w.uvarint(positiveLength(c.length, `${cp}.length`));
      if (c.type === 'retain') at += c.length;
      else end = at;
    } else {
      throw invalidEvent(`${cp} has unknown type ${describe((c as { type: unknown }).type)}`);
    }
  }
  cursor.pos = end;
}

function encodeChange(cols: Columns, e: Event, agent: AgentInfo, i: number): void {
  const c = e.change;
  const path = `events[${i}].change`;
  const name = cols.names.id(c.name, `${path}.name`);
  switch (c.type) {
    case 'text': {
      cols.changeRle.push(ChangeKind.Text + 3 * name);
      let cursor = agent.cursors.get(name);
      if (cursor === undefined) {
        cursor = { pos: 0, forward: false };
        agent.cursors.set(name, cursor);
      }
      encodeTextOp(cols, c.op, cursor, `${path}.op`);
      return;
    }
    case 'map_set':
      cols.changeRle.push(ChangeKind.MapSet + 3 * name);
      cols.maps.uvarint(cols.keys.id(c.key, `${path}.key`));
      cols.maps.string(jsonText(c.value, `${path}.value`));
      return;
    case 'map_delete':
      cols.changeRle.push(ChangeKind.MapDelete + 3 * name);
      cols.maps.uvarint(cols.keys.id(c.key, `${path}.key`));
      return;
    default:
      throw invalidEvent(`${path}.type is unknown: ${describe((c as { type: unknown }).type)}`);
  }
}

function writeSnapshot(w: ByteWriter, snapshot: DocumentSnapshot | undefined): void {
  if (snapshot === undefined) {
    w.u8(0);
    return;
  }
  w.u8(1);
  w.uvarint(snapshot.texts.size);
  for (const [name, text] of snapshot.texts) {
    w.string(checkName(name, 'snapshot.texts name'));
    if (typeof text !== 'string' || !isWellFormed(text)) throw invalidEvent(`snapshot text ${describe(name)} must be a well-formed string`);
    w.string(text);
  }
  w.uvarint(snapshot.maps.size);
  for (const [name, map] of snapshot.maps) {
    w.string(checkName(name, 'snapshot.maps name'));
    w.uvarint(map.size);
    for (const [key, value] of map) {
      w.string(checkKey(key, `snapshot map ${describe(name)} key`));
      w.string(jsonText(value, `snapshot map ${describe(name)} key ${describe(key)}`));
    }
  }
}

/** Encodes a file of the given kind. */
export function encodeFile(events: readonly Event[], kind: FileKind, snapshot: DocumentSnapshot | undefined, options: EncodeOptions = {}): Uint8Array {
  if (!Array.isArray(events)) throw invalidEvent('events must be an array');
  const cols = new Columns();
  const agentOf = indexEvents(cols, events, kind);
  const external = new Map<AgentInfo, number>();
  let runAgent = -1;
  let runLength = 0;
  let runRefs: number[] = [];
  let runParents = 0;
  const endRun = (): void => {
    if (runLength === 0) return;
    cols.runCount++;
    cols.runs.uvarint(runAgent);
    cols.runs.uvarint(runLength - 1);
    cols.runs.uvarint(runParents);
    for (const r of runRefs) cols.runs.uvarint(r);
  };
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as Event;
    const agentIndex = agentOf[i] as number;
    const parents = sortedParents(e, i);
    const refs = parentRefs(cols, parents, i, kind, external);
    // Continues the run when the only parent is the previous event, by the same agent.
    if (runLength > 0 && agentIndex === runAgent && refs.length === 1 && refs[0] === 2) {
      runLength++;
    } else {
      endRun();
      runAgent = agentIndex;
      runLength = 1;
      runRefs = refs;
      runParents = parents.length;
    }
    encodeChange(cols, e, cols.agents[agentIndex] as AgentInfo, i);
  }
  endRun();
  cols.end();
  for (const [a, next] of external) a.base = next;
  return assemble(cols, kind, snapshot, events.length, options.compress ?? true);
}

function assemble(cols: Columns, kind: FileKind, snapshot: DocumentSnapshot | undefined, eventCount: number, compress: boolean | 'fast'): Uint8Array {
  const agents = new ByteWriter();
  agents.uvarint(cols.agents.length);
  for (const a of cols.agents) {
    agents.string(a.agent);
    agents.uvarint(a.base);
  }
  const strings = new ByteWriter();
  for (const table of [cols.names, cols.keys]) {
    strings.uvarint(table.list.length);
    for (const s of table.list) strings.string(s);
  }
  const runs = new ByteWriter();
  runs.uvarint(cols.runCount);
  runs.bytes(cols.runs.finish());
  const text = new ByteWriter();
  text.bytes(utf8(cols.text.join('')));

  const out = new ByteWriter(1024);
  for (const b of MAGIC) out.u8(b);
  out.u8(FORMAT_VERSION);
  out.u8(kind);
  // Loading reads the agents and the graph's runs along with the snapshot: they use the codec that
  // decodes at copy speed; the operation columns, read only when history is needed, use the smallest.
  const quick = compress === false ? 'none' : 'fast';
  for (const c of [agents, strings, runs]) writeColumn(out, c.finish(), quick);
  for (const c of [cols.changes, cols.shapes, cols.positions, cols.lengths, cols.general, text, cols.maps]) {
    writeColumn(out, c.finish(), compress === 'fast' ? 'fast' : compress);
  }
  if (kind === FileKind.Document) {
    const snap = new ByteWriter();
    writeSnapshot(snap, snapshot);
    // Loading a document reads only its snapshot: compress it with the codec that decodes at copy speed.
    writeColumn(out, snap.finish(), quick);
  }
  out.u32le(crc32(out.finish()));
  const bytes = out.finish();
  if (eventCount > Math.max(EVENTS_CAP_FLOOR, bytes.length * MAX_EVENTS_PER_BYTE)) {
    throw new TandemError(
      CoreErrorCode.LimitExceeded,
      `${eventCount} events in ${bytes.length} bytes exceed the format's cap of ${MAX_EVENTS_PER_BYTE} events per byte`,
    );
  }
  return bytes;
}
