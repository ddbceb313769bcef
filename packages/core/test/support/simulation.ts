/**
 * Multi-replica simulation shared by the convergence test and the fuzz soak: several `Doc`s edit texts
 * and maps concurrently and exchange events by partial, reordered, duplicated and buffered syncs; every
 * step is checked locally, and at the end all replicas must agree with each other and with the oracle.
 */
import assert from 'node:assert/strict';
import { Doc } from '../../src/index.js';
import { CoreErrorCode, isTandemError } from '../../src/errors.js';
import type { Event, JsonValue } from '../../src/event.js';
import { agentId, compareEventIds, eventIdToString, type EventId } from '../../src/ids.js';
import { apply, opFromPatches } from '../../src/text-op.js';
import { oracleMap, oracleText } from './oracle.js';
import type { Rng } from './random.js';

export interface SimOptions {
  /** Number of agents, inclusive range. */
  readonly agents: readonly [min: number, max: number];
  /** Number of random actions (edits and syncs) per history. */
  readonly steps: number;
  /** Longest insert, in code points. */
  readonly maxInsert: number;
}

export interface SimResult {
  readonly agents: number;
  readonly events: number;
  readonly textLength: number;
}

type ReceiveResult = ReturnType<Doc['receive']>;

/** Agent ids chosen to exercise code-unit ordering: prefixes, case, digits, non-ASCII. */
const AGENT_POOL = ['alice', 'bob', 'carol', 'a', 'ab', 'B', 'agent-10', 'agent-9', 'émile', 'zoë', '😀', 'Z'];
const MAP_KEYS = ['a', 'b', 'title', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'k e y'];

function splice(text: string, pos: number, del: number, ins: string): string {
  return text.slice(0, pos) + ins + text.slice(pos + del);
}

/** Positions of `text` that do not split a surrogate pair. */
export function boundaries(text: string): number[] {
  const out = [0];
  for (const ch of text) out.push((out[out.length - 1] as number) + ch.length);
  return out;
}

/** `pos` moved left, if needed, so it does not split a surrogate pair of `text`. */
function snap(text: string, pos: number): number {
  pos = Math.max(0, Math.min(pos, text.length));
  const hi = text.charCodeAt(pos - 1);
  return pos > 0 && pos < text.length && hi >= 0xd800 && hi <= 0xdbff ? pos - 1 : pos;
}

function randomJson(rng: Rng, depth = 0): JsonValue {
  switch (rng.int(depth > 1 ? 5 : 7)) {
    case 0: return null;
    case 1: return rng.bool();
    case 2: return rng.range(-1000, 1000) / (rng.bool() ? 1 : 8);
    case 3: return rng.text(rng.range(0, 4));
    case 4: return rng.pick(['', '__proto__', 'constructor']);
    case 5: return Array.from({ length: rng.range(0, 3) }, () => randomJson(rng, depth + 1));
    default: {
      // Keys are defined, not assigned: assigning "__proto__" would change the prototype instead.
      const o: Record<string, JsonValue> = {};
      for (let i = rng.range(0, 3); i > 0; i--) {
        Object.defineProperty(o, rng.pick(MAP_KEYS), { value: randomJson(rng, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
  }
}

function sortedEntries(m: ReadonlyMap<string, JsonValue>): [string, JsonValue][] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** An event as JSON data, for comparing events regardless of object identity and prototypes. */
function wireForm(e: Event): unknown {
  return JSON.parse(JSON.stringify(e));
}

/** The frontier of a set of events: those no other event names as a parent, sorted. */
export function frontierOf(events: Iterable<Event>): EventId[] {
  const all = new Map<string, EventId>();
  const parents = new Set<string>();
  for (const e of events) {
    all.set(eventIdToString(e.id), e.id);
    for (const p of e.parents) parents.add(eventIdToString(p));
  }
  return [...all].filter(([k]) => !parents.has(k)).map(([, id]) => id).sort(compareEventIds);
}

/** Asserts that `events` lists every event after all of its parents. */
export function assertTopological(events: readonly Event[], known: (id: EventId) => boolean = () => false): void {
  const seen = new Set<string>();
  for (const e of events) {
    for (const p of e.parents) {
      assert.ok(seen.has(eventIdToString(p)) || known(p), `event ${eventIdToString(e.id)} comes before its parent ${eventIdToString(p)}`);
    }
    seen.add(eventIdToString(e.id));
  }
}

/**
 * A random topological order of `events` (Kahn's walk taking a random ready event each time); parents
 * outside the set count as met. `pick` chooses among the ready events (default: uniformly at random).
 */
export function shuffleTopological(rng: Rng, events: readonly Event[], pick?: (ready: readonly Event[]) => number): Event[] {
  const keys = new Map(events.map((e) => [eventIdToString(e.id), e]));
  const waitingOn = new Map<Event, number>();
  const children = new Map<string, Event[]>();
  const ready: Event[] = [];
  for (const e of keys.values()) {
    let n = 0;
    for (const p of e.parents) {
      const k = eventIdToString(p);
      if (!keys.has(k)) continue;
      n++;
      const list = children.get(k);
      if (list === undefined) children.set(k, [e]);
      else list.push(e);
    }
    waitingOn.set(e, n);
    if (n === 0) ready.push(e);
  }
  // An event listed twice is emitted once.
  const out: Event[] = [];
  while (ready.length > 0) {
    const i = pick === undefined ? rng.int(ready.length) : pick(ready);
    const e = ready[i] as Event;
    ready[i] = ready[ready.length - 1] as Event;
    ready.pop();
    out.push(e);
    for (const c of children.get(eventIdToString(e.id)) ?? []) {
      const n = (waitingOn.get(c) as number) - 1;
      waitingOn.set(c, n);
      if (n === 0) ready.push(c);
    }
  }
  if (out.length !== keys.size) throw new Error('shuffleTopological: the events have a cycle');
  return out;
}

/** One simulated history: replicas, the event pool, and the checks run at every step. */
class Simulation {
  readonly docs: Doc[];
  /** Every event any replica has made, by id string. */
  readonly pool = new Map<string, Event>();
  readonly textNames: string[];
  readonly mapNames: string[];
  /** Last insert position per text, to make agents collide at the same spot. */
  private readonly hot = new Map<string, number>();
  /** Events each replica holds back for missing parents, as its last `receive` reported. */
  private readonly pending = new Map<Doc, number>();

  constructor(private readonly rng: Rng, private readonly opts: SimOptions) {
    const n = rng.range(opts.agents[0], opts.agents[1]);
    const names = rng.shuffle([...AGENT_POOL]).slice(0, n);
    this.docs = names.map((a) => new Doc({ agent: agentId(a), maxPending: 1_000_000 }));
    this.textNames = rng.bool() ? ['body'] : ['body', 'title'];
    this.mapNames = rng.bool() ? ['meta'] : ['meta', 'props'];
  }

  step(): void {
    const r = this.rng.next();
    const doc = this.rng.pick(this.docs);
    if (r < 0.42) this.editText(doc);
    else if (r < 0.52) this.editMap(doc);
    else if (r < 0.75) this.syncClosed(this.rng.pick(this.docs), doc);
    else if (r < 0.9) this.syncBuffered(doc);
    else if (r < 0.96) this.mergePair(doc, this.rng.pick(this.docs));
    else this.rejectMissingParents(doc);
  }

  private record(doc: Doc, ev: Event, before: { version: readonly EventId[]; seq: number }): void {
    assert.equal(ev.id.agent, doc.agent);
    assert.equal(ev.id.seq, before.seq, 'local event seq');
    assert.deepStrictEqual(ev.parents, before.version, 'local event parents = version before the edit');
    assert.deepStrictEqual(doc.version, [ev.id], 'version after a local edit');
    assert.ok(!this.pool.has(eventIdToString(ev.id)), `event id ${eventIdToString(ev.id)} reused`);
    this.pool.set(eventIdToString(ev.id), ev);
  }

  private pickPos(name: string, text: string): number {
    const r = this.rng.next();
    if (r < 0.3) return snap(text, this.hot.get(name) ?? 0);
    if (r < 0.4) return 0;
    if (r < 0.5) return text.length;
    return this.rng.pick(boundaries(text));
  }

  private editText(doc: Doc): void {
    const name = this.rng.pick(this.textNames);
    const text = doc.getText(name);
    const r = this.rng.next();
    if (r < 0.35 || text.length === 0) {
      const pos = this.pickPos(name, text);
      const ins = this.rng.text(this.rng.range(1, this.opts.maxInsert));
      this.hot.set(name, pos);
      this.localText(doc, name, splice(text, pos, 0, ins), () => doc.insert(name, pos, ins));
    } else if (r < 0.5) {
      const bs = boundaries(text);
      const i = this.rng.int(bs.length - 1);
      const j = this.rng.range(i + 1, Math.min(bs.length - 1, i + 1 + this.rng.int(6)));
      const [from, to] = [bs[i] as number, bs[j] as number];
      this.localText(doc, name, splice(text, from, to - from, ''), () => doc.delete(name, from, to - from));
    } else if (r < 0.54) {
      this.localText(doc, name, '', () => doc.delete(name, 0, text.length));
    } else if (r < 0.56) {
      assert.equal(doc.editText(name, opFromPatches([])), undefined, 'a no-op edit makes no event');
      assert.equal(doc.getText(name), text);
    } else if (r < 0.75) {
      this.typeBurst(doc, name);
    } else {
      // Several splice patches in one op: positions refer to the text as each previous patch left it.
      const patches: [number, number, string][] = [];
      let expected = text;
      for (let k = this.rng.range(1, 4); k > 0; k--) {
        const bs = boundaries(expected);
        const i = this.rng.int(bs.length);
        const j = this.rng.bool(0.6) ? i : this.rng.range(i, Math.min(bs.length - 1, i + 4));
        const ins = this.rng.bool(j > i ? 0.5 : 1) ? this.rng.text(this.rng.range(1, this.opts.maxInsert)) : '';
        const [from, to] = [bs[i] as number, bs[j] as number];
        patches.push([from, to - from, ins]);
        expected = splice(expected, from, to - from, ins);
      }
      this.localText(doc, name, expected, () => doc.editText(name, opFromPatches(patches)));
    }
  }

  /** Keystrokes: single code points typed (or deleted backwards) one event each, forming runs. */
  private typeBurst(doc: Doc, name: string): void {
    let pos = this.pickPos(name, doc.getText(name));
    const backspace = this.rng.bool(0.3);
    for (let k = this.rng.range(2, 10); k > 0; k--) {
      const text = doc.getText(name);
      if (backspace) {
        if (pos === 0) return;
        const bs = boundaries(text);
        const from = bs[bs.indexOf(pos) - 1] as number;
        this.localText(doc, name, splice(text, from, pos - from, ''), () => doc.delete(name, from, pos - from));
        pos = from;
      } else {
        const ch = this.rng.text(1);
        this.localText(doc, name, splice(text, pos, 0, ch), () => doc.insert(name, pos, ch));
        pos += ch.length;
      }
    }
  }

  /** Runs one local text edit that should turn the text into `expected`, and checks the event. */
  private localText(doc: Doc, name: string, expected: string, edit: () => Event | undefined): void {
    const text = doc.getText(name);
    const before = { version: doc.version, seq: doc.vector[doc.agent] ?? 0 };
    const ev = edit();
    assert.equal(doc.getText(name), expected, 'text after a local edit');
    if (ev === undefined) {
      assert.equal(expected, text, 'a local edit that changes the text makes an event');
      return;
    }
    assert.ok(ev.change.type === 'text' && ev.change.name === name, 'local text event');
    assert.equal(apply(text, ev.change.op), expected, 'local event op reproduces the edit');
    this.record(doc, ev, before);
  }

  private editMap(doc: Doc): void {
    const name = this.rng.pick(this.mapNames);
    const key = this.rng.pick(MAP_KEYS);
    const before = { version: doc.version, seq: doc.vector[doc.agent] ?? 0 };
    let ev: Event;
    if (this.rng.bool(0.7)) {
      const value = randomJson(this.rng);
      ev = doc.setKey(name, key, value);
      assert.deepStrictEqual(doc.getMap(name).get(key), value, `map ${name}[${key}] after setKey`);
    } else {
      ev = doc.deleteKey(name, key);
      assert.equal(doc.getMap(name).has(key), false, `map ${name}[${key}] after deleteKey`);
    }
    this.record(doc, ev, before);
  }

  /** Receives `events` into `doc` and checks that its reported changes replay its state transitions. */
  receiveChecked(doc: Doc, events: readonly Event[], buffer: boolean): ReceiveResult {
    const texts = new Map(this.textNames.map((n) => [n, doc.getText(n)]));
    const maps = new Map(this.mapNames.map((n) => [n, new Map(doc.getMap(n))]));
    const wire = this.rng.bool() ? events.map((e) => wireForm(e) as Event) : events;
    const res = buffer ? doc.receive(wire, { buffer: true }) : doc.receive(wire);
    for (const c of res.changes) {
      if (c.type === 'text') {
        // apply() also refuses an op that splits a surrogate pair.
        texts.set(c.name, apply(texts.get(c.name) ?? '', c.op));
      } else {
        const m = maps.get(c.name) ?? new Map<string, JsonValue>();
        if (c.value === undefined) m.delete(c.key);
        else m.set(c.key, c.value);
        maps.set(c.name, m);
      }
    }
    for (const [n, t] of texts) assert.equal(doc.getText(n), t, `text ${n} = previous text + reported changes`);
    for (const [n, m] of maps) assert.deepStrictEqual(sortedEntries(doc.getMap(n)), sortedEntries(m), `map ${n} = previous map + reported changes`);
    for (const e of res.applied) assert.ok(doc.has(e.id), `applied event ${eventIdToString(e.id)} is held`);
    this.pending.set(doc, res.pending);
    return res;
  }

  /** Sends a random causally closed part of what `to` lacks, in a random valid order, with duplicates. */
  private syncClosed(from: Doc, to: Doc): void {
    if (from === to) return;
    const lacking = from.eventsSince(to.vector);
    assertTopological(lacking, (id) => to.has(id));
    const p = this.rng.next();
    const chosen = new Set<string>();
    for (const e of lacking) {
      if (this.rng.next() < p && e.parents.every((q) => to.has(q) || chosen.has(eventIdToString(q)))) chosen.add(eventIdToString(e.id));
    }
    const batch = shuffleTopological(this.rng, lacking.filter((e) => chosen.has(eventIdToString(e.id))));
    const fresh = batch.length;
    const known = to.events();
    for (let k = this.rng.int(3); k > 0 && known.length > 0; k--) batch.splice(this.rng.int(batch.length + 1), 0, this.rng.pick(known));
    for (let k = this.rng.int(3); k > 0 && fresh > 0; k--) {
      const i = this.rng.int(batch.length);
      batch.splice(this.rng.range(i + 1, batch.length), 0, batch[i] as Event);
    }
    const held = this.pending.get(to) ?? 0;
    const res = this.receiveChecked(to, batch, false);
    for (const e of batch) assert.ok(to.has(e.id), `event ${eventIdToString(e.id)} of a causally closed batch is held`);
    // Events held back earlier may be released by this batch (and count as duplicates when resent).
    if (held === 0) {
      assert.equal(res.applied.length, fresh, 'every new event of a causally closed batch is applied');
      assert.equal(res.duplicates, batch.length - fresh, 'duplicates counted');
    }
  }

  /** Sends an arbitrary subset of the pool in shuffled order, with duplicates, for `to` to buffer. */
  private syncBuffered(to: Doc): void {
    const source = this.rng.bool() ? [...this.pool.values()] : this.rng.pick(this.docs).events();
    const p = this.rng.next();
    const batch = this.rng.shuffle(source.filter(() => this.rng.next() < p));
    for (let k = this.rng.int(3); k > 0 && batch.length > 0; k--) batch.push(this.rng.pick(batch));
    const res = this.receiveChecked(to, batch, true);
    assert.ok(res.pending >= 0);
  }

  /** Merges two replicas both ways until neither learns more; they must then agree. */
  mergePair(a: Doc, b: Doc): void {
    if (a === b) return;
    for (let round = 0; ; round++) {
      assert.ok(round < 10, 'pairwise merge does not settle');
      const n = this.receiveChecked(a, b.eventsSince(a.vector), false).applied.length + this.receiveChecked(b, a.eventsSince(b.vector), false).applied.length;
      if (n === 0) break;
    }
    this.assertSame(a, b);
  }

  /** A batch with an event whose parents are unknown is rejected whole when not buffering. */
  private rejectMissingParents(to: Doc): void {
    // Skipped while events are held back: the orphan may be one of them (then it is a duplicate) or
    // the batch may release its missing parents.
    if ((this.pending.get(to) ?? 0) > 0) return;
    const lacking = this.rng.pick(this.docs).eventsSince(to.vector);
    const ok = lacking.slice(0, this.rng.int(Math.min(lacking.length, 3) + 1)).filter((e) => e.parents.every((p) => to.has(p)));
    const inOk = new Set(ok.map((e) => eventIdToString(e.id)));
    const orphan = [...this.pool.values()].find((e) => !to.has(e.id) && e.parents.some((p) => !to.has(p) && !inOk.has(eventIdToString(p))));
    if (orphan === undefined) return;
    const before = this.snapshot(to);
    assert.throws(() => to.receive([...ok, orphan]), (e: unknown) => isTandemError(e, CoreErrorCode.MissingParents));
    assert.deepStrictEqual(this.snapshot(to), before, 'a rejected batch changes nothing');
  }

  private snapshot(doc: Doc): unknown {
    return {
      texts: this.textNames.map((n) => doc.getText(n)),
      maps: this.mapNames.map((n) => sortedEntries(doc.getMap(n))),
      version: doc.version,
      vector: doc.vector,
    };
  }

  assertSame(a: Doc, b: Doc): void {
    const what = `replicas ${a.agent} and ${b.agent}`;
    assert.deepStrictEqual(a.version, b.version, `${what}: version`);
    assert.deepStrictEqual({ ...a.vector }, { ...b.vector }, `${what}: vector`);
    for (const n of this.textNames) assert.equal(a.getText(n), b.getText(n), `${what}: text ${n}`);
    for (const n of this.mapNames) assert.deepStrictEqual(sortedEntries(a.getMap(n)), sortedEntries(b.getMap(n)), `${what}: map ${n}`);
  }

  /** Full sync through a hub, then every replica must hold every event and match the oracle. */
  finish(): SimResult {
    const [hub, ...rest] = this.docs as [Doc, ...Doc[]];
    let pending = 0;
    for (const d of rest) pending = this.receiveChecked(hub, d.eventsSince(hub.vector), false).pending;
    assert.equal(pending, 0, `${hub.agent}: nothing pending once it holds every event`);
    for (const d of rest) assert.equal(this.receiveChecked(d, hub.eventsSince(d.vector), false).pending, 0, `${d.agent}: nothing pending`);
    const all = [...this.pool.values()];
    const frontier = frontierOf(all);
    for (const d of this.docs) {
      const events = d.events();
      assert.equal(events.length, all.length, `${d.agent} holds every event`);
      assertTopological(events);
      assert.deepStrictEqual(d.version, frontier, `${d.agent}: version is the frontier of all events`);
      assert.deepStrictEqual(d.eventsSince(d.vector), [], `${d.agent}: eventsSince(own vector) is empty`);
      for (const e of events) assert.deepStrictEqual(wireForm(e), wireForm(this.pool.get(eventIdToString(e.id)) as Event), `${d.agent} exports ${eventIdToString(e.id)} as made`);
      this.assertSame(hub, d);
    }
    for (const n of this.textNames) {
      assert.equal(hub.getText(n), oracleText(all, n), `text ${n} matches the oracle`);
    }
    for (const n of this.mapNames) assert.deepStrictEqual(sortedEntries(hub.getMap(n)), sortedEntries(oracleMap(all, n)), `map ${n} matches the oracle`);
    return { agents: this.docs.length, events: all.length, textLength: this.textNames.reduce((s, n) => s + hub.getText(n).length, 0) };
  }
}

/** Runs one random history and checks it; throws (an AssertionError) on the first discrepancy. */
export function runHistory(rng: Rng, opts: SimOptions): SimResult {
  const sim = new Simulation(rng, opts);
  for (let i = 0; i < opts.steps; i++) sim.step();
  return sim.finish();
}

/** Seed of the i-th history of a run whose first seed is `base` (so a failing seed reruns as history 0). */
export function historySeed(base: number, i: number): number {
  let x = (base + Math.imul(i, 0x9e3779b9)) >>> 0;
  if (i === 0) return x;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  return (x ^ (x >>> 13)) >>> 0;
}
