/**
 * Tests of the binary storage form: random histories, snapshots, batches and the automerge-paper
 * trace round-trip exactly; hand-crafted hostile files are refused with ERR_DECODE; and a fuzzer
 * checks that mutated or random bytes never make the decoder throw anything else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTandemError, type CoreErrorCode } from '../src/errors.js';
import type { Change, Event, JsonValue } from '../src/event.js';
import { compareEventIds, type AgentId, type EventId } from '../src/ids.js';
import { checkOp, type OpComponent } from '../src/text-op.js';
import { decodeDocument, decodeEvents, encodeDocument, encodeEvents, type DecodeLimits, type EncodedDocument } from '../src/encoding/binary.js';
import { FileKind, FORMAT_VERSION, MAGIC, writeColumn } from '../src/encoding/binary-format.js';
import { ByteWriter } from '../src/encoding/byte-writer.js';
import { crc32 } from '../src/encoding/crc32.js';
import { checkEvent, eventToJSON } from '../src/encoding/json-event.js';
import { Rng, withSeed } from './support/random.js';
import { loadTrace, tracesDir, type SequentialTrace } from './support/traces.js';

// ---------------------------------------------------------------------------------------------
// Random histories

const AGENTS = ['alice', 'bob', '𝒸arol', 'dörte', '__proto__', 'x'.repeat(128)];
const NAMES = ['body', 'title', '__proto__', 'constructor'];
const KEYS = ['k', '', '__proto__', 'prototype', 'ключ😀'];

function randomValue(rng: Rng, depth: number): JsonValue {
  const r = rng.int(depth > 2 ? 5 : 7);
  if (r === 0) return null;
  if (r === 1) return rng.bool();
  if (r === 2) return rng.bool() ? rng.int(1000) - 500 : rng.next() * 1e6;
  if (r <= 4) return rng.text(rng.int(6));
  if (r === 5) return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
  const o: Record<string, JsonValue> = {};
  // Defined, not assigned, so "__proto__" becomes data rather than a prototype change.
  for (let i = rng.int(4); i > 0; i--) Object.defineProperty(o, rng.pick(KEYS), { value: randomValue(rng, depth + 1), enumerable: true, writable: true, configurable: true });
  return o;
}

/** A checkOp-canonical op whose positions fit a text of `len` code units; returns it and the new length. */
function randomOp(rng: Rng, len: number): [readonly OpComponent[], number] {
  const raw: OpComponent[] = [];
  const pos = rng.int(len + 1);
  const kind = rng.int(10);
  if (pos > 0 && kind < 7) raw.push({ type: 'retain', length: pos });
  if (kind < 4 || kind === 6) raw.push({ type: 'insert', content: rng.text(rng.range(1, kind === 0 ? 8 : 1)) });
  if ((kind === 4 || kind === 5 || kind === 6) && pos < len) raw.push({ type: 'delete', length: rng.range(1, Math.min(3, len - pos)) });
  if (kind >= 7) {
    let at = 0;
    for (let k = rng.range(1, 5); k > 0; k--) {
      const t = rng.int(3);
      if (t === 0 && at < len) {
        const n = rng.range(1, len - at);
        raw.push({ type: 'retain', length: n });
        at += n;
      } else if (t === 1 || at >= len) raw.push({ type: 'insert', content: rng.text(rng.range(1, 4)) });
      else {
        const n = rng.range(1, Math.min(4, len - at));
        raw.push({ type: 'delete', length: n });
        at += n;
      }
    }
  }
  const op = checkOp(raw);
  let next = len;
  for (const c of op) next += c.type === 'insert' ? c.content.length : c.type === 'delete' ? -c.length : 0;
  return [op, next];
}

function randomHistory(rng: Rng, n: number, nAgents: number): Event[] {
  const agents = AGENTS.slice(0, nAgents) as AgentId[];
  const next = new Array<number>(nAgents).fill(0);
  const last = new Array<EventId | undefined>(nAgents);
  const lens = new Map<string, number>();
  const events: Event[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.int(nAgents);
    const seq = next[a] as number;
    next[a] = seq + 1;
    const id: EventId = { agent: agents[a] as AgentId, seq };
    const ps: EventId[] = [];
    const mode = rng.next();
    if (i > 0 && mode < 0.6) ps.push((events[i - 1] as Event).id);
    else if (i > 0 && mode < 0.93) {
      const own = last[a];
      if (own !== undefined) ps.push(own);
      for (let k = rng.int(3); k >= 0; k--) ps.push((events[rng.int(i)] as Event).id);
    }
    const parents = ps.sort(compareEventIds).filter((p, k) => k === 0 || compareEventIds(ps[k - 1] as EventId, p) !== 0);
    const name = rng.pick(NAMES);
    let change: Change;
    const r = rng.next();
    if (r < 0.65) {
      const [op, len] = randomOp(rng, lens.get(name) ?? 0);
      lens.set(name, len);
      change = { type: 'text', name, op };
    } else if (r < 0.9) change = { type: 'map_set', name, key: rng.pick(KEYS), value: randomValue(rng, 0) };
    else change = { type: 'map_delete', name, key: rng.pick(KEYS) };
    events.push({ id, parents, change });
    last[a] = id;
  }
  return events;
}

function randomSnapshot(rng: Rng): NonNullable<EncodedDocument['snapshot']> {
  const texts = new Map<string, string>();
  const maps = new Map<string, Map<string, JsonValue>>();
  for (const name of NAMES) if (rng.bool()) texts.set(name, rng.text(rng.int(40)));
  for (const name of NAMES) {
    if (!rng.bool()) continue;
    const m = new Map<string, JsonValue>();
    for (const key of KEYS) if (rng.bool()) m.set(key, randomValue(rng, 0));
    maps.set(name, m);
  }
  return { texts, maps };
}

function expectCode(f: () => unknown, code: CoreErrorCode, message?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isTandemError(e, code), `expected ${code}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (message !== undefined) assert.match((e as Error).message, message);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------

describe('binary encoding: round trips', () => {
  it('round-trips random histories of 1-6 agents (events and documents, compressed or not)', () => {
    withSeed('binary round trip', (rng) => {
      for (let iter = 0; iter < 130; iter++) {
        const events = randomHistory(rng, rng.int(iter < 100 ? 40 : 250), rng.range(1, 6));
        const compress = rng.bool(0.7);
        assert.deepStrictEqual(decodeEvents(encodeEvents(events, { compress })), events);
        const docBytes = encodeDocument({ events }, { compress });
        const doc = decodeDocument(docBytes);
        assert.deepStrictEqual(doc, { events });
        // Either kind of file decodes as either: a complete events file is a document without snapshot.
        assert.deepStrictEqual(decodeEvents(docBytes), events);
        assert.deepStrictEqual(decodeDocument(encodeEvents(events, { compress })), { events });
        for (const e of doc.events) checkEvent(eventToJSON(e));
      }
    });
  });

  it('round-trips batches that start mid-history, and refuses them as documents', () => {
    withSeed('binary batches', (rng) => {
      for (let iter = 0; iter < 60; iter++) {
        const events = randomHistory(rng, rng.range(2, 60), rng.range(1, 6));
        const batch = events.slice(rng.range(1, events.length - 1));
        const bytes = encodeEvents(batch);
        assert.deepStrictEqual(decodeEvents(bytes), batch);
        const external = batch.some((e) => e.parents.some((p) => !batch.some((b) => compareEventIds(b.id, p) === 0)));
        const startsLate = batch.some((e) => e.id.seq > 0 && !batch.some((b) => b.id.agent === e.id.agent && b.id.seq === 0));
        if (external || startsLate) {
          expectCode(() => decodeDocument(bytes), 'ERR_DECODE', /from seq 0/);
          expectCode(() => encodeDocument({ events: batch }), 'ERR_INVALID_EVENT');
        } else {
          assert.deepStrictEqual(decodeDocument(bytes), { events: batch });
        }
      }
    });
  });

  it('round-trips snapshots', () => {
    withSeed('binary snapshots', (rng) => {
      for (let iter = 0; iter < 50; iter++) {
        const doc: EncodedDocument = { events: randomHistory(rng, rng.int(20), rng.range(1, 3)), snapshot: randomSnapshot(rng) };
        assert.deepStrictEqual(decodeDocument(encodeDocument(doc, { compress: rng.bool() })), doc);
      }
      const empty: EncodedDocument = { events: [], snapshot: { texts: new Map(), maps: new Map() } };
      assert.deepStrictEqual(decodeDocument(encodeDocument(empty)), empty);
      assert.deepStrictEqual(decodeEvents(encodeEvents([])), []);
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    });
  });

  it('round-trips edge cases: byte order marks, lone surrogates in values, huge lengths, empty ops', () => {
    const big = Number.MAX_SAFE_INTEGER - 1;
    const a = '\ufeffagent' as AgentId;
    const ops: OpComponent[][] = [
      [{ type: 'insert', content: '\ufeff😀' }],
      [{ type: 'retain', length: big }, { type: 'insert', content: 'x' }],
      [{ type: 'retain', length: 1 }, { type: 'delete', length: big - 1 }],
      [{ type: 'delete', length: 1 }],
      [],
      [{ type: 'retain', length: 3 }, { type: 'insert', content: '\ufeff' }, { type: 'delete', length: 2 }, { type: 'retain', length: 1 }, { type: 'delete', length: 1 }],
    ];
    const events: Event[] = ops.map((op, seq) => ({
      id: { agent: a, seq },
      parents: seq === 0 ? [] : [{ agent: a, seq: seq - 1 }],
      change: { type: 'text', name: '\ufeffbody', op: checkOp(op) },
    }));
    events.push({ id: { agent: a, seq: ops.length }, parents: [], change: { type: 'map_set', name: 'm', key: '\ufeff', value: ['\ud800', { '\udc00': 1.5e300 }] } });
    const snapshot = { texts: new Map([['\ufefft', '\ufeff\ufeff']]), maps: new Map([['m', new Map<string, JsonValue>([['\ufeff', '\ud83d']])]]) };
    assert.deepStrictEqual(decodeDocument(encodeDocument({ events, snapshot })), { events, snapshot });
    assert.deepStrictEqual(decodeEvents(encodeEvents(events, { compress: false })), events);
  });

  it('round-trips the automerge-paper trace compactly', (t) => {
    if (tracesDir() === undefined) {
      t.skip('editing traces not found');
      return;
    }
    const trace = loadTrace<SequentialTrace>('sequential_traces/automerge-paper.json.gz');
    const events: Event[] = [];
    for (const txn of trace.txns) {
      for (const [pos, del, ins] of txn.patches) {
        const op: OpComponent[] = [];
        if (pos > 0) op.push({ type: 'retain', length: pos });
        if (ins.length > 0) op.push({ type: 'insert', content: ins });
        if (del > 0) op.push({ type: 'delete', length: del });
        const seq = events.length;
        events.push({ id: { agent: 'a' as AgentId, seq }, parents: seq === 0 ? [] : [{ agent: 'a' as AgentId, seq: seq - 1 }], change: { type: 'text', name: 'text', op } });
      }
    }
    const t0 = performance.now();
    const bytes = encodeEvents(events);
    const t1 = performance.now();
    const back = decodeEvents(bytes);
    const t2 = performance.now();
    t.diagnostic(
      `automerge-paper: ${events.length} events -> ${bytes.length} bytes (encode ${(t1 - t0).toFixed(0)} ms, decode ${(t2 - t1).toFixed(0)} ms); ` +
        `uncompressed ${encodeEvents(events, { compress: false }).length} bytes; final text ${trace.endContent.length} chars`,
    );
    // Comparing as JSON text: deepStrictEqual over 260k events takes seconds.
    assert.equal(back.length, events.length);
    assert.equal(JSON.stringify(back), JSON.stringify(events));
    assert.ok(bytes.length < 160_000, `${bytes.length} bytes`);
  });
});

describe('binary encoding: the encoder refuses what it cannot represent', () => {
  const e = (agent: string, seq: number, parents: EventId[] = [], content = 'x'): Event => ({
    id: { agent: agent as AgentId, seq },
    parents,
    change: { type: 'text', name: 'body', op: [{ type: 'insert', content }] },
  });
  const id = (agent: string, seq: number): EventId => ({ agent: agent as AgentId, seq });
  it('refuses gaps and disorder in an agent\'s seqs, parents after children and unpaired surrogates', () => {
    expectCode(() => encodeEvents([e('a', 0), e('a', 2, [id('a', 0)])]), 'ERR_INVALID_EVENT', /consecutive/);
    expectCode(() => encodeEvents([e('a', 1), e('a', 0)]), 'ERR_INVALID_EVENT');
    expectCode(() => encodeEvents([e('a', 0, [id('b', 0)]), e('b', 0)]), 'ERR_INVALID_EVENT', /topological/);
    expectCode(() => encodeEvents([e('a', 0, [id('a', 0)])]), 'ERR_INVALID_EVENT');
    expectCode(() => encodeDocument({ events: [e('a', 0, [id('b', 3)])] }), 'ERR_INVALID_EVENT', /not in the document/);
    expectCode(() => encodeEvents([e('a', 0, [], 'x\ud800')]), 'ERR_INVALID_EVENT');
    expectCode(() => encodeEvents([e('', 0)]), 'ERR_INVALID_EVENT');
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-crafted files

type Col = (w: ByteWriter) => void;
const str = (w: ByteWriter, s: string): void => w.string(s);
/** A valid events file: agent "a" inserts "x" at 0 then "y" at 1, as one run. */
const BASE: Col[] = [
  (w) => (w.uvarint(1), str(w, 'a'), w.uvarint(0)), // agents
  (w) => (w.uvarint(1), str(w, 't'), w.uvarint(0)), // names, keys
  (w) => (w.uvarint(1), w.uvarint(0), w.uvarint(1), w.uvarint(0)), // one run of 2 events, no parents
  (w) => (w.u8(0), w.uvarint(0), w.uvarint(1)), // changes: text "t" x2
  (w) => (w.u8(0), w.uvarint(1)), // shapes: insert x2
  (w) => w.uvarint(2), // positions: two zero deltas
  (w) => (w.uvarint(1), w.uvarint(1)), // lengths: 1 x2
  () => undefined, // general
  (w) => w.bytes(new TextEncoder().encode('xy')), // text
  () => undefined, // maps
];

function craft(cols: readonly Col[], kind: number = FileKind.Events, raw?: (w: ByteWriter) => void): Uint8Array {
  const out = new ByteWriter();
  for (const b of MAGIC) out.u8(b);
  out.u8(FORMAT_VERSION);
  out.u8(kind);
  for (const f of cols) {
    const c = new ByteWriter();
    f(c);
    writeColumn(out, c.finish(), false);
  }
  raw?.(out);
  out.u32le(crc32(out.finish()));
  return out.finish();
}
const NONE: Col = () => undefined;
/** BASE with some columns replaced, by index. */
const cols = (over: Record<number, Col>): Col[] => BASE.map((c, i) => over[i] ?? c);

function reseal(b: Uint8Array): Uint8Array {
  if (b.length >= 10) new DataView(b.buffer, b.byteOffset, b.length).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
  return b;
}

describe('binary encoding: the decoder refuses hostile files', () => {
  it('decodes the hand-crafted baseline', () => {
    assert.deepStrictEqual(decodeEvents(craft(BASE)), [
      { id: { agent: 'a', seq: 0 }, parents: [], change: { type: 'text', name: 't', op: [{ type: 'insert', content: 'x' }] } },
      { id: { agent: 'a', seq: 1 }, parents: [{ agent: 'a', seq: 0 }], change: { type: 'text', name: 't', op: [{ type: 'retain', length: 1 }, { type: 'insert', content: 'y' }] } },
    ]);
  });
  const twoRuns = (refs: number[]): Col => (w) => {
    w.uvarint(2);
    w.uvarint(0), w.uvarint(0), w.uvarint(0);
    w.uvarint(0), w.uvarint(0), w.uvarint(refs.length);
    for (const r of refs) w.uvarint(r);
  };
  const cases: [string, Uint8Array, RegExp, DecodeLimits?][] = [
    ['bad magic', Uint8Array.from([0, ...craft(BASE).subarray(1)]), /magic at byte 0/],
    ['an unknown version', reseal(Uint8Array.from(craft(BASE), (b, i) => (i === 4 ? 99 : b))), /version 99 at byte 4/],
    ['a bad checksum', Uint8Array.from(craft(BASE), (b, i) => (i === craft(BASE).length - 1 ? b ^ 1 : b)), /checksum/],
    ['a truncated file', craft(BASE).subarray(0, 8), /truncated/],
    ['trailing bytes', craft(BASE, FileKind.Events, (w) => w.u8(0)), /trailing/],
    ['an unknown file kind', craft(BASE, 7), /unknown file kind 7 at byte 5/],
    ['a document without its snapshot column', craft(BASE, FileKind.Document), /snapshot column/],
    ['a document whose agent starts after seq 0', craft([...cols({ 0: (w) => (w.uvarint(1), str(w, 'a'), w.uvarint(3)) }), (w) => w.u8(0)], FileKind.Document), /from seq 0/],
    ['a forward parent ref', craft(cols({ 2: twoRuns([4]) })), /earlier event at byte/],
    ['a self parent ref', craft(cols({ 2: twoRuns([0]) })), /earlier event/],
    ['a duplicate parent', craft(cols({ 2: twoRuns([2, 2]) })), /twice/],
    ['an external parent at or after the agent\'s base', craft(cols({ 2: twoRuns([1, 0]) })), /not before/],
    ['an unknown agent index', craft(cols({ 2: (w) => (w.uvarint(1), w.uvarint(5), w.uvarint(1), w.uvarint(0)) })), /unknown agent index 5/],
    ['a duplicate agent', craft(cols({ 0: (w) => (w.uvarint(2), str(w, 'a'), w.uvarint(0), str(w, 'a'), w.uvarint(0)) })), /twice/],
    ['an unused agent', craft(cols({ 0: (w) => (w.uvarint(2), str(w, 'a'), w.uvarint(0), str(w, 'b'), w.uvarint(0)) })), /no events/],
    ['invalid UTF-8 in an agent', craft(cols({ 0: (w) => (w.uvarint(1), w.uvarint(1), w.u8(0xff), w.uvarint(0)) })), /UTF-8/],
    ['a varint of 9 bytes', craft(cols({ 5: (w) => w.bytes(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])) })), /longer than 8/],
    ['a varint beyond 2^53', craft(cols({ 5: (w) => w.bytes(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])) })), /2\^53/],
    ['an overlong varint', craft(cols({ 5: (w) => w.bytes(Uint8Array.from([0x82, 0x00])) })), /overlong/],
    ['a run of 2^40 events', craft(cols({ 2: (w) => (w.uvarint(1), w.uvarint(0), w.uvarint(2 ** 40), w.uvarint(0)) })), /more than/],
    ['more events than maxEvents', craft(BASE), /more than 1 events/, { maxEvents: 1 }],
    ['more agents than maxAgents', craft(BASE), /limit of 0/, { maxAgents: 0 }],
    ['a decompression bomb', craft(BASE.slice(0, 9), FileKind.Events, (w) => (w.u8(1), w.uvarint(1e9), w.uvarint(4), w.u32le(0))), /cannot expand/],
    ['an insert splitting a surrogate pair', craft(cols({ 8: (w) => w.bytes(new TextEncoder().encode('😀')) })), /surrogate pair/],
    ['inserted text beyond the text column', craft(cols({ 8: (w) => w.bytes(new TextEncoder().encode('x')) })), /past the end/],
    ['unused inserted text', craft(cols({ 8: (w) => w.bytes(new TextEncoder().encode('xyz')) })), /unused/],
    ['trailing bytes in a column', craft(cols({ 6: (w) => (w.uvarint(1), w.uvarint(1), w.u8(0)) })), /trailing bytes after the lengths column/],
    ['an unknown change kind', craft(cols({ 3: (w) => (w.u8(7), w.uvarint(0), w.uvarint(1)) })), /unknown change kind/],
    ['an unknown shape', craft(cols({ 4: (w) => (w.u8(9), w.uvarint(1)) })), /unknown op shape/],
    ['a zero length', craft(cols({ 6: (w) => (w.uvarint(0), w.uvarint(1)) })), /zero length/],
    ['a negative position', craft(cols({ 5: (w) => (w.uvarint(0), w.svarint(-5), w.uvarint(1)) })), /out of range/],
    [
      'an op failing checkOp (base length beyond 2^53)',
      craft(cols({ 4: (w) => (w.u8(3), w.uvarint(1)), 5: NONE, 6: NONE, 8: NONE, 7: (w) => {
        for (let k = 0; k < 2; k++) (w.uvarint(2), w.u8(0), w.uvarint(2 ** 52), w.u8(2), w.uvarint(2 ** 52));
      } })),
      /op: .*safe integer/,
    ],
    [
      'a map value that is not JSON',
      craft(cols({ 1: (w) => (w.uvarint(1), str(w, 't'), w.uvarint(1), str(w, 'k')), 3: (w) => (w.u8(1), w.uvarint(0), w.uvarint(1)), 4: NONE, 5: NONE, 6: NONE, 8: NONE, 9: (w) => {
        for (let k = 0; k < 2; k++) (w.uvarint(0), str(w, '{'));
      } })),
      /not valid JSON/,
    ],
  ];
  for (const [what, bytes, message, limits] of cases) {
    it(`refuses ${what}`, () => expectCode(() => decodeEvents(bytes, limits), 'ERR_DECODE', message));
  }
  it('names a byte offset in its messages', () => {
    expectCode(() => decodeEvents(craft(cols({ 2: twoRuns([4]) }))), 'ERR_DECODE', /at byte \d+/);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzzing

type Kind = 'events' | 'document';

/** Decodes; a success must be a valid result that re-encodes to itself. Anything but ERR_DECODE fails. */
function probe(bytes: Uint8Array, kind: Kind): boolean {
  try {
    if (kind === 'events') {
      const events = decodeEvents(bytes);
      for (const e of events) checkEvent(eventToJSON(e));
      assert.deepStrictEqual(decodeEvents(encodeEvents(events, { compress: false })), events);
    } else {
      const doc = decodeDocument(bytes);
      for (const e of doc.events) checkEvent(eventToJSON(e));
      assert.deepStrictEqual(decodeDocument(encodeDocument(doc, { compress: false })), doc);
    }
    return true;
  } catch (e) {
    if (isTandemError(e, 'ERR_DECODE')) return false;
    const hex = Buffer.from(bytes).toString('hex');
    throw new Error(`decoder threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} for ${kind} bytes ${hex}`);
  }
}

function mutateBytes(rng: Rng, src: Uint8Array): Uint8Array {
  let b = Uint8Array.from(src);
  const steps = rng.range(1, 3);
  for (let s = 0; s < steps; s++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(7)) {
      case 0:
        if (b.length > 0) {
          const j = Math.min(at, b.length - 1);
          b[j] = (b[j] as number) ^ (1 << rng.int(8));
        }
        break;
      case 1:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = rng.pick([0, 1, 0x7f, 0x80, 0xff, rng.int(256)]);
        break;
      case 2:
        b = Uint8Array.from([...b.subarray(0, at), ...Array.from({ length: rng.range(1, 4) }, () => rng.int(256)), ...b.subarray(at)]);
        break;
      case 3:
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + rng.range(1, 4))]);
        break;
      case 4:
        b = b.slice(0, at);
        break;
      case 5: {
        const len = rng.range(1, 8);
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at, at + len), ...b.subarray(at)]);
        break;
      }
      default:
        if (b.length > 1) {
          const j = rng.int(b.length);
          const k = Math.min(at, b.length - 1);
          [b[j], b[k]] = [b[k] as number, b[j] as number];
        }
    }
  }
  // Mostly fix the checksum up, so the mutation reaches the parser instead of the CRC check.
  return rng.bool(0.85) ? reseal(b) : b;
}

/** TANDEM_FUZZ_SCALE multiplies the fuzz iteration counts for longer soak runs. */
const FUZZ_SCALE = Math.max(1, Number(process.env['TANDEM_FUZZ_SCALE'] ?? '1') || 1);

describe('binary encoding: fuzzing', () => {
  it('survives 20,000 mutated encodings', () => {
    withSeed('binary fuzz (mutations)', (rng) => {
      const corpus: [Uint8Array, Kind][] = [[craft(BASE), 'events']];
      for (let k = 0; k < 80; k++) {
        const events = randomHistory(rng, rng.range(1, k < 72 ? 12 : 80), rng.range(1, 4));
        const compress = k >= 72 || rng.bool(0.3);
        corpus.push([encodeEvents(events, { compress }), 'events']);
        const snapshot = rng.bool() ? randomSnapshot(rng) : undefined;
        corpus.push([encodeDocument(snapshot === undefined ? { events } : { events, snapshot }, { compress }), 'document']);
      }
      let decoded = 0;
      for (let k = 0; k < 20_000 * FUZZ_SCALE; k++) {
        const [src, kind] = rng.pick(corpus);
        if (probe(mutateBytes(rng, src), kind)) decoded++;
      }
      assert.ok(decoded < 20_000 * FUZZ_SCALE);
    });
  });

  it('survives 5,000 random byte strings', () => {
    withSeed('binary fuzz (random bytes)', (rng) => {
      for (let k = 0; k < 5_000 * FUZZ_SCALE; k++) {
        const b = Uint8Array.from({ length: rng.int(200) }, () => rng.int(256));
        const kind: Kind = rng.bool() ? 'events' : 'document';
        if (rng.bool() && b.length >= 10) {
          b.set(MAGIC, 0);
          b[4] = FORMAT_VERSION;
          b[5] = kind === 'events' ? FileKind.Events : FileKind.Document;
          reseal(b);
        }
        probe(b, kind);
      }
    });
  });
});
