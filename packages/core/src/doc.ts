/**
 * Doc is a Tandem document replica: named texts and maps, the event graph and op log behind them, and
 * the rules for taking in local edits and remote events. It is pure: no I/O, no timers, no network.
 *
 * Local edits apply at once and become events. Remote events are accepted in any order whose parents
 * are known (or held back until they are), duplicates are ignored, a different payload under a known id
 * is rejected, and a batch is all-or-nothing: on any error the replica is left exactly as it was.
 */
import { computeBatch } from './doc-batch.js';
import { DEFAULT_MAX_KEPT_ITEMS, ReplayCache } from './merge/replay-cache.js';
import { admitEvents } from './doc-admission.js';
import type { Admission } from './doc-admission.js';
import type { BatchOutput } from './doc-batch.js';
import { checkEvent } from './encoding/json-event.js';
import { checkJsonValue, copyJsonValue } from './encoding/json-value.js';
import { decodeDocument, encodeDocument } from './encoding/binary.js';
import { decodeStructure } from './encoding/binary-structure.js';
import type { DecodeLimits, EncodeOptions } from './encoding/binary.js';
import { TandemError, CoreErrorCode } from './errors.js';
import type { Change, Event, JsonValue } from './event.js';
import { EventGraph } from './event-graph.js';
import type { AgentId, EventId, Version, VersionVector } from './ids.js';
import { agentId as toAgentId } from './ids.js';
import { OpLog } from './op-log.js';
import { PendingEvents } from './pending-events.js';
import { Rope } from './rope.js';
import { SharedMap } from './shared-map.js';
import { checkOp, isNoop, opFromPatch, opFromPatches, patchesFromOp } from './text-op.js';
import type { OpComponent, TextOp } from './text-op.js';
import { UndoManager } from './undo-manager.js';
import type { UndoOptions } from './undo-manager.js';
import { checkOpOnRope, invertOnRope } from './rope-op.js';

/** Default bound on events held back for missing parents. */
export const DEFAULT_MAX_PENDING = 100_000;

export interface DocOptions {
  /** This replica's agent id: every local edit is an event of this agent. */
  readonly agent: AgentId | string;
  /** Most events held back waiting for parents (default {@link DEFAULT_MAX_PENDING}). */
  readonly maxPending?: number;
  /** Undo grouping and depth. */
  readonly undo?: UndoOptions;
  /**
   * Most items (runs of characters) of merge state a text keeps between merges of concurrent events
   * (default {@link DEFAULT_MAX_KEPT_ITEMS}; 0 keeps none). Kept state makes each merge cost the new
   * events rather than the whole concurrent stretch of history; past the limit it is dropped and
   * rebuilt when next needed.
   */
  readonly mergeStateLimit?: number;
}

/** Where a change came from. */
export type ChangeOrigin = 'local' | 'remote' | 'undo' | 'redo';

/** A change to the materialized state, as an editor consumes it. */
export type AppliedChange =
  | { readonly type: 'text'; readonly name: string; readonly op: TextOp }
  | { readonly type: 'map'; readonly name: string; readonly key: string; readonly value: JsonValue | undefined };

export interface ReceiveOptions {
  /** Hold events whose parents are missing until they arrive, instead of rejecting the batch. */
  readonly buffer?: boolean;
  /** Validate each event's structure (default true; turn off only for events from a trusted store). */
  readonly validate?: boolean;
}

export interface ReceiveResult {
  /** Events newly applied, in the order applied (a topological order). */
  readonly applied: readonly Event[];
  /** Events received that were already held (same id, same payload). */
  readonly duplicates: number;
  /** Events now held back waiting for parents. */
  readonly pending: number;
  /** Changes to the texts and maps, in order; text ops are against the text just before each. */
  readonly changes: readonly AppliedChange[];
}

export type ChangeListener = (changes: readonly AppliedChange[], origin: ChangeOrigin, events: readonly Event[]) => void;

export class Doc {
  readonly agent: AgentId;
  private readonly graph = new EventGraph();
  private log = new OpLog();
  private readonly texts = new Map<string, Rope>();
  private readonly maps = new Map<string, SharedMap>();
  private frontier: number[] = [];
  private pending = new PendingEvents();
  private readonly maxPending: number;
  private readonly listeners = new Set<ChangeListener>();
  private readonly undoManager: UndoManager;
  private readonly replays: ReplayCache;

  constructor(options: DocOptions) {
    this.agent = toAgentId(options.agent);
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.undoManager = new UndoManager(options.undo);
    this.replays = new ReplayCache(options.mergeStateLimit ?? DEFAULT_MAX_KEPT_ITEMS);
  }

  // ----- reading -----

  /** The current text of `name` ('' for a text never written). */
  getText(name: string): string {
    return this.texts.get(name)?.toString() ?? '';
  }

  /** Length of text `name` in UTF-16 code units. */
  textLength(name: string): number {
    return this.texts.get(name)?.length ?? 0;
  }

  /** Names of the texts written so far. */
  textNames(): string[] {
    return [...this.texts.keys()].sort();
  }

  /** The visible entries of map `name`, sorted by key. */
  getMap(name: string): ReadonlyMap<string, JsonValue> {
    return this.maps.get(name)?.entries() ?? new Map();
  }

  mapNames(): string[] {
    return [...this.maps.keys()].sort();
  }

  /** The current version, as a frontier of event ids sorted by (agent, seq). */
  get version(): Version {
    return this.graph.frontierToIds(this.frontier);
  }

  /** For each agent, how many of its events this replica holds. */
  get vector(): VersionVector {
    return this.graph.vector();
  }

  /** Number of events held. */
  get eventCount(): number {
    return this.graph.size;
  }

  /** Number of events held back waiting for parents. */
  get pendingCount(): number {
    return this.pending.size;
  }

  has(id: EventId): boolean {
    return this.graph.idToLv(id) >= 0;
  }

  /** All events, in a topological order. */
  events(): Event[] {
    return this.eventsIn(0, this.graph.size);
  }

  /** The events a replica at `vector` lacks, in a topological order. */
  eventsSince(vector: VersionVector): Event[] {
    const out: Event[] = [];
    for (const span of this.graph.spansSince(vector)) out.push(...this.eventsIn(span.start, span.end));
    return out;
  }

  private eventsIn(start: number, end: number): Event[] {
    const out: Event[] = [];
    for (const run of this.graph.runsIn({ start, end })) {
      const agent = this.graph.agentName(run.agent);
      for (let lv = run.start; lv < run.end; lv++) {
        const parents = lv === run.start ? this.graph.frontierToIds(run.parents) : [{ agent, seq: run.seqStart + (lv - run.start) - 1 }];
        out.push({ id: { agent, seq: run.seqStart + (lv - run.start) }, parents, change: this.log.changeOf(lv) });
      }
    }
    return out;
  }

  /**
   * Compares two versions this replica knows: 'before' when `a` is contained in `b`, 'after' for the
   * reverse, 'equal', or 'concurrent'.
   * @throws TandemError ERR_UNKNOWN_VERSION for an event this replica does not hold.
   */
  compareVersions(a: Version, b: Version): 'equal' | 'before' | 'after' | 'concurrent' {
    const { aOnly, bOnly } = this.graph.diff(this.graph.idsToLvs(a), this.graph.idsToLvs(b));
    if (aOnly.length === 0) return bOnly.length === 0 ? 'equal' : 'before';
    return bOnly.length === 0 ? 'after' : 'concurrent';
  }

  /** The events in version `a` and not in `b`, and the reverse, as event ids. */
  diffVersions(a: Version, b: Version): { onlyA: EventId[]; onlyB: EventId[] } {
    const { aOnly, bOnly } = this.graph.diff(this.graph.idsToLvs(a), this.graph.idsToLvs(b));
    const ids = (spans: readonly { start: number; end: number }[]): EventId[] => {
      const out: EventId[] = [];
      for (const s of spans) for (let lv = s.start; lv < s.end; lv++) out.push(this.graph.lvToId(lv));
      return out;
    };
    return { onlyA: ids(aOnly), onlyB: ids(bOnly) };
  }

  /**
   * The version made of the events a version vector describes (each agent's first n events and,
   * necessarily, their ancestors), as a frontier.
   * @throws TandemError ERR_UNKNOWN_VERSION when the vector names events this replica lacks.
   */
  versionFromVector(vector: VersionVector): Version {
    const lvs: number[] = [];
    for (const agent of Object.keys(vector)) {
      const n = vector[agent]!;
      if (!Number.isSafeInteger(n) || n < 0) throw new TandemError(CoreErrorCode.UnknownVersion, `bad count ${String(n)} for agent ${agent}`);
      if (n === 0) continue;
      const lv = this.graph.idToLv({ agent: agent as AgentId, seq: n - 1 });
      if (lv < 0) throw new TandemError(CoreErrorCode.UnknownVersion, `unknown event ${agent}:${n - 1}`);
      lvs.push(lv);
    }
    return this.graph.frontierToIds(this.graph.simplify(lvs));
  }

  /** Calls `listener` after every change; returns the function that unsubscribes it. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ----- local edits -----

  /**
   * Applies a local edit to text `name`: `op` against the current text (trailing retain optional).
   * Returns the new event, or undefined when the op changes nothing.
   * @throws TandemError for a malformed op, one longer than the text, or one splitting a surrogate pair.
   */
  editText(name: string, op: TextOp): Event | undefined {
    return this.editTextAs(name, op, 'local');
  }

  /** Inserts `text` at `pos` of text `name`. */
  insert(name: string, pos: number, text: string): Event | undefined {
    return this.editText(name, opFromPatch(pos, 0, text));
  }

  /** Deletes `len` code units at `pos` of text `name`. */
  delete(name: string, pos: number, len: number): Event | undefined {
    return this.editText(name, opFromPatch(pos, len, ''));
  }

  setKey(name: string, key: string, value: JsonValue): Event {
    return this.editMap(name, key, value, 'local');
  }

  deleteKey(name: string, key: string): Event {
    return this.editMap(name, key, undefined, 'local');
  }

  /** Reverts this agent's last change (never anyone else's) as a new event; undefined if none. */
  undo(): Event | undefined {
    return this.undoManager.undo(this.undoHost());
  }

  /** Reapplies the change the last undo reverted; undefined if none. */
  redo(): Event | undefined {
    return this.undoManager.redo(this.undoHost());
  }

  get canUndo(): boolean {
    return this.undoManager.canUndo;
  }

  get canRedo(): boolean {
    return this.undoManager.canRedo;
  }

  private editTextAs(name: string, op: TextOp, origin: ChangeOrigin): Event | undefined {
    const norm = checkOp(op);
    if (isNoop(norm)) return undefined;
    const rope = this.rope(name);
    checkOpOnRope(rope, norm, name);
    const inverse = invertOnRope(rope, norm);
    const event = this.commitLocal({ type: 'text', name, op: norm }, origin);
    this.undoManager.recorded(origin, this.frontier[0]!, { kind: 'text', name, inverse });
    return event;
  }

  private editMap(name: string, key: string, value: JsonValue | undefined, origin: ChangeOrigin): Event {
    if (typeof key !== 'string') throw new TandemError(CoreErrorCode.InvalidEvent, `map key must be a string, got ${typeof key}`);
    // Check and copy the value: peers must accept what the author accepted, and later changes to
    // the caller's object must not change the event.
    const stored = value === undefined ? undefined : copyJsonValue(checkJsonValue(value, `map ${JSON.stringify(name)} key ${JSON.stringify(key)}`));
    const previous = this.maps.get(name)?.get(key);
    const change: Change = stored === undefined ? { type: 'map_delete', name, key } : { type: 'map_set', name, key, value: stored };
    const event = this.commitLocal(change, origin);
    this.undoManager.recorded(origin, this.frontier[0]!, { kind: 'map', name, key, previous });
    return event;
  }

  /** Appends a local event and applies it; the op has been checked against the current state. */
  private commitLocal(change: Change, origin: ChangeOrigin): Event {
    const parents = this.graph.frontierToIds(this.frontier);
    const seq = this.graph.nextSeq(this.agent);
    const lv = this.graph.add(this.agent, seq, this.frontier);
    const patches = change.type === 'text' ? patchesFromOp(change.op) : undefined;
    this.log.push(change, patches);
    this.frontier = [lv];
    let applied: AppliedChange | undefined;
    if (change.type === 'text') {
      this.applyPatches(change.name, patches!);
      applied = { type: 'text', name: change.name, op: change.op };
    } else {
      applied = this.applyOutput({ lv });
    }
    const event: Event = { id: { agent: this.agent, seq }, parents, change };
    if (this.listeners.size > 0) this.emit(applied === undefined ? [] : [applied], origin, [event]);
    return event;
  }

  private applyPatches(name: string, patches: readonly (readonly [number, number, string])[]): void {
    const rope = this.rope(name);
    for (const [pos, del, ins] of patches) {
      if (del > 0) rope.delete(pos, del);
      if (ins.length > 0) rope.insert(pos, ins);
    }
  }

  // ----- remote events -----

  /**
   * Takes in events from another replica, in any order. Known events are counted as duplicates; an
   * event whose parents are missing is held (with `buffer`) or makes the whole batch fail with
   * ERR_MISSING_PARENTS. Any error leaves the replica exactly as it was.
   */
  receive(events: readonly Event[], options: ReceiveOptions = {}): ReceiveResult {
    if (!Array.isArray(events)) throw new TandemError(CoreErrorCode.InvalidEvent, 'receive expects an array of events');
    const checked = options.validate === false ? events : events.map((e) => checkEvent(e));
    const startSize = this.graph.size;
    const savedPending = this.pending.size > 0 ? this.pending.clone() : undefined;
    try {
      const { accepted, duplicates } = admitEvents(this.admission(), checked, options.buffer === true);
      const { outputs, frontier } = computeBatch(this.graph, this.log, this.frontier, startSize, this.graph.size, (name) => this.textLength(name), this.replays);
      // Nothing can fail from here on: apply.
      this.frontier = frontier;
      const changes: AppliedChange[] = [];
      for (const out of outputs) {
        const c = this.applyOutput(out);
        if (c !== undefined) changes.push(c);
      }
      if (accepted.length > 0) this.emit(changes, 'remote', accepted);
      return { applied: accepted, duplicates, pending: this.pending.size, changes };
    } catch (err) {
      this.graph.truncate(startSize);
      this.log.truncate(startSize);
      this.pending = savedPending ?? new PendingEvents();
      throw err;
    }
  }

  /** What event admission needs of this replica (its graph, log and buffer). */
  private admission(): Admission {
    return {
      graph: this.graph,
      log: this.log,
      pending: this.pending,
      maxPending: this.maxPending,
    };
  }

  /** Applies one event's output to the materialized state; returns the visible change, if any. */
  private applyOutput(out: BatchOutput): AppliedChange | undefined {
    if (out.text !== undefined) {
      const rope = this.rope(out.text);
      if (out.patches !== undefined) {
        this.applyPatches(out.text, out.patches);
        return { type: 'text', name: out.text, op: opOfPatches(out.patches) };
      }
      this.log.forEachPatch(out.lv, (pos, del, ins) => {
        if (del > 0) rope.delete(pos, del);
        if (ins.length > 0) rope.insert(pos, ins);
      });
      return { type: 'text', name: out.text, op: this.log.opOf(out.lv) };
    }
    if (out.patches !== undefined) return undefined;
    const entry = this.log.mapEntry(out.lv);
    if (entry === undefined) return undefined;
    const name = this.log.nameOf(out.lv);
    let map = this.maps.get(name);
    if (map === undefined) {
      map = new SharedMap();
      this.maps.set(name, map);
    }
    const before = map.get(entry.key);
    const agent = this.graph.agentName(this.graph.agentOf(out.lv));
    map.offer(entry.key, { lamport: this.graph.lamportOf(out.lv), agent, lv: out.lv, value: entry.value });
    const after = map.get(entry.key);
    return before === after ? undefined : { type: 'map', name, key: entry.key, value: after };
  }

  private rope(name: string): Rope {
    let r = this.texts.get(name);
    if (r === undefined) {
      r = new Rope();
      this.texts.set(name, r);
    }
    return r;
  }

  private emit(changes: readonly AppliedChange[], origin: ChangeOrigin, events: readonly Event[]): void {
    for (const l of this.listeners) l(changes, origin, events);
  }

  // ----- undo support -----

  private undoHost() {
    return {
      rebase: (items: readonly { lv: number; change: Change }[]) => this.rebase(items),
      editText: (name: string, op: TextOp, origin: ChangeOrigin) => this.editTextAs(name, op, origin),
      editMap: (name: string, key: string, value: JsonValue | undefined, origin: ChangeOrigin) => this.editMap(name, key, value, origin),
      mapWinnerLv: (name: string, key: string) => this.maps.get(name)?.winner(key)?.lv,
      textLength: (name: string) => this.textLength(name),
    };
  }

  /**
   * Transforms changes made at the versions of given events (each `change` valid at the version
   * {lv}) to the current version, as if each were a new event concurrent with everything after its
   * `lv`. Returns per item the patches against the current text. Leaves the replica unchanged.
   */
  private rebase(items: readonly { lv: number; change: Change }[]): Map<number, { name: string; patches: readonly [number, number, string][] }> {
    const startSize = this.graph.size;
    try {
      let seq = this.graph.nextSeq(this.agent);
      for (const item of items) {
        this.graph.add(this.agent, seq++, [item.lv]);
        this.log.push(item.change);
      }
      const { outputs } = computeBatch(this.graph, this.log, this.frontier, startSize, this.graph.size, (name) => this.textLength(name));
      const result = new Map<number, { name: string; patches: [number, number, string][] }>();
      outputs.forEach((out, i) => {
        if (out.text === undefined) return;
        const patches = out.patches ?? this.log.patchesOf(out.lv);
        result.set(i, { name: out.text, patches: patches.map((p) => [p[0], p[1], p[2]]) });
      });
      return result;
    } finally {
      this.graph.truncate(startSize);
      this.log.truncate(startSize);
    }
  }

  // ----- snapshots -----

  /**
   * The compact binary form of this replica: all events (columnar, run-length encoded) plus the
   * current texts, so {@link Doc.decode} needs no replay.
   */
  encode(options: EncodeOptions = {}): Uint8Array {
    const texts = new Map<string, string>();
    for (const name of this.textNames()) texts.set(name, this.getText(name));
    const maps = new Map<string, ReadonlyMap<string, JsonValue>>();
    for (const name of this.mapNames()) maps.set(name, this.getMap(name));
    return encodeDocument({ events: this.events(), snapshot: { texts, maps } }, options);
  }

  /**
   * A replica from bytes written by {@link Doc.encode} (or events-only bytes, which are replayed).
   * @throws TandemError ERR_DECODE for malformed bytes.
   */
  static decode(bytes: Uint8Array, options: DocOptions & { readonly limits?: DecodeLimits }): Doc {
    const doc = new Doc(options);
    doc.install(bytes, options.limits);
    return doc;
  }

  /**
   * Loads bytes written by {@link encode} into this replica, which must hold nothing yet (no events,
   * none held back): as fast as {@link Doc.decode}, for a replica an app already holds (its handles
   * and listeners stay). Listeners hear one 'remote' change per non-empty text (an insert of the
   * whole text) and per map key, with the events list left empty (the events are decoded only if
   * history is ever needed). Returns those changes and how many events were loaded.
   * @throws TandemError ERR_NOT_EMPTY when the replica is not empty, ERR_DECODE for malformed
   *   bytes; the replica is then unchanged.
   */
  loadEncoded(bytes: Uint8Array, limits?: DecodeLimits): { readonly events: number; readonly changes: readonly AppliedChange[] } {
    if (this.graph.size > 0 || this.pending.size > 0) {
      throw new TandemError(CoreErrorCode.NotEmpty, `loadEncoded needs an empty replica; this one holds ${this.graph.size} events and ${this.pending.size} held back`);
    }
    const changes = this.install(bytes, limits);
    if (changes !== undefined) {
      if (this.listeners.size > 0 && changes.length > 0) this.emit(changes, 'remote', []);
      return { events: this.graph.size, changes };
    }
    // Events only: replayed by receive, which has told listeners already.
    return { events: this.graph.size, changes: [] };
  }

  /**
   * Fills this empty replica from encoded bytes. With a snapshot in them, returns the changes that
   * turn empty texts and maps into the snapshot's (not emitted); without one, the events are
   * received (and emitted) and undefined is returned.
   */
  private install(bytes: Uint8Array, limits: DecodeLimits | undefined): AppliedChange[] | undefined {
    const structure = bytes[5] === 2 ? decodeStructure(bytes, limits) : undefined;
    if (structure?.snapshot === undefined) {
      // Events only, or no snapshot: replay.
      this.receive(decodeDocument(bytes, limits).events, { validate: false });
      return undefined;
    }
    // Everything is decoded before anything changes, so a failure leaves the replica as it was.
    // Read the graph and the snapshot only; the operations are decoded if history is ever needed.
    try {
      for (const run of structure.runs) {
        const parents = this.graph.idsToLvs(run.parents);
        const first = this.graph.addRun(run.agent, run.seq, run.len, parents);
        this.frontier = this.frontier.filter((x) => !parents.includes(x));
        this.frontier.push(first + run.len - 1);
      }
    } catch (err) {
      this.graph.truncate(0);
      this.frontier = [];
      throw err;
    }
    this.frontier.sort((x, y) => x - y);
    this.log = OpLog.lazy(structure.eventCount, () => decodeDocument(bytes, limits).events.map((e) => e.change));
    const changes: AppliedChange[] = [];
    for (const [name, text] of structure.snapshot.texts) {
      this.texts.set(name, new Rope(text));
      if (text.length > 0) changes.push({ type: 'text', name, op: [{ type: 'insert', content: text }] });
    }
    // Map registers need each write's Lamport time: rebuild them from the map events (rare, small).
    if (structure.snapshot.maps.size > 0) {
      for (let lv = 0; lv < this.graph.size; lv++) {
        const c = this.applyOutput({ lv });
        if (c !== undefined) changes.push(c);
      }
    }
    return changes;
  }

  /**
   * Builds a replica from stored events and the texts they produce, without replaying history: the
   * snapshot must be the state at the version made of all the events (as written by {@link encode}).
   */
  static fromSnapshot(options: DocOptions, events: readonly Event[], texts: ReadonlyMap<string, string>): Doc {
    const doc = new Doc(options);
    for (const e of events) {
      const parents = doc.graph.idsToLvs(e.parents);
      const lv = doc.graph.add(e.id.agent, e.id.seq, parents);
      doc.log.push(e.change);
      doc.frontier = doc.frontier.filter((x) => !parents.includes(x));
      doc.frontier.push(lv);
      if (e.change.type !== 'text') doc.applyOutput({ lv });
    }
    doc.frontier.sort((x, y) => x - y);
    for (const [name, text] of texts) doc.texts.set(name, new Rope(text));
    return doc;
  }
}

/** The op of splice patches; the single-patch case (nearly every event) without composing. */
function opOfPatches(patches: readonly (readonly [number, number, string])[]): TextOp {
  if (patches.length !== 1) return opFromPatches(patches);
  const [pos, del, ins] = patches[0]!;
  const op: OpComponent[] = [];
  if (pos > 0) op.push({ type: 'retain', length: pos });
  if (ins.length > 0) op.push({ type: 'insert', content: ins });
  if (del > 0) op.push({ type: 'delete', length: del });
  return op;
}
