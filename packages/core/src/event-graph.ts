/**
 * EventGraph owns the causal graph of a document's events: local version numbers (LVs), the mapping
 * between LVs and (agent, seq) ids, parents, Lamport times, frontiers, and the graph walks that compare
 * and diff versions.
 *
 * Every event known to a replica gets an LV: 0, 1, 2, … in the order the replica learned of it, which is
 * a topological order (parents always have smaller LVs). LVs are private to a replica; ids are global.
 * Runs of consecutive events by one agent, each the only child of the previous, are stored as one
 * entry (run-length encoding): typing 10,000 characters costs one entry, not 10,000.
 */
import { TandemError, CoreErrorCode } from './errors.js';
import type { AgentId, EventId, VersionVector } from './ids.js';
import { compareEventIds } from './ids.js';

/** A frontier in LVs: sorted ascending, no event an ancestor of another. Empty = the root. */
export type LvFrontier = readonly number[];

/** A half-open LV range [start, end). */
export interface LvSpan {
  start: number;
  end: number;
}

interface GraphRun {
  /** First LV of the run. */
  lvStart: number;
  /** Number of events in the run. */
  len: number;
  agent: number;
  seqStart: number;
  /** Parents of the first event; each later event's only parent is its predecessor. */
  parents: readonly number[];
  lamportStart: number;
}

interface AgentSpan {
  seqStart: number;
  lvStart: number;
  len: number;
}

/** Flags used by graph walks: which side(s) an event is reachable from. */
const SIDE_A = 1;
const SIDE_B = 2;
const SIDE_BOTH = 3;

export class EventGraph {
  private readonly runs: GraphRun[] = [];
  private readonly agentNames: AgentId[] = [];
  private readonly agentIndex = new Map<string, number>();
  private readonly agentSpans: AgentSpan[][] = [];
  private count = 0;
  /** Scratch state of `diff`, kept between calls. */
  private walkFlags = new Uint8Array(0);
  private readonly walkHeap = new MaxHeap();

  /** Number of events held. */
  get size(): number {
    return this.count;
  }

  /** Index of an agent, creating it when `create` is set. */
  agentIdx(agent: string, create: boolean): number {
    let idx = this.agentIndex.get(agent);
    if (idx === undefined && create) {
      idx = this.agentNames.length;
      this.agentNames.push(agent as AgentId);
      this.agentIndex.set(agent, idx);
      this.agentSpans.push([]);
    }
    return idx ?? -1;
  }

  agentName(idx: number): AgentId {
    const name = this.agentNames[idx];
    if (name === undefined) throw new RangeError(`unknown agent index ${idx}`);
    return name;
  }

  /** How many events of `agent` are held (= the next seq expected from it). */
  nextSeq(agent: string): number {
    const idx = this.agentIndex.get(agent);
    if (idx === undefined) return 0;
    const spans = this.agentSpans[idx]!;
    const last = spans[spans.length - 1];
    return last === undefined ? 0 : last.seqStart + last.len;
  }

  /** The LV of an event id, or -1 when it is not held. */
  idToLv(id: EventId): number {
    const idx = this.agentIndex.get(id.agent);
    if (idx === undefined || !Number.isInteger(id.seq) || id.seq < 0) return -1;
    const spans = this.agentSpans[idx]!;
    let lo = 0;
    let hi = spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = spans[mid]!;
      if (id.seq < s.seqStart) hi = mid - 1;
      else if (id.seq >= s.seqStart + s.len) lo = mid + 1;
      else return s.lvStart + (id.seq - s.seqStart);
    }
    return -1;
  }

  private runIndexOf(lv: number): number {
    if (lv < 0 || lv >= this.count) throw new RangeError(`LV ${lv} out of range 0..${this.count - 1}`);
    let lo = 0;
    let hi = this.runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runs[mid]!.lvStart <= lv) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private runOf(lv: number): GraphRun {
    return this.runs[this.runIndexOf(lv)]!;
  }

  lvToId(lv: number): EventId {
    const run = this.runOf(lv);
    return { agent: this.agentNames[run.agent]!, seq: run.seqStart + (lv - run.lvStart) };
  }

  /** Agent index of the event at `lv`. */
  agentOf(lv: number): number {
    return this.runOf(lv).agent;
  }

  seqOf(lv: number): number {
    const run = this.runOf(lv);
    return run.seqStart + (lv - run.lvStart);
  }

  lamportOf(lv: number): number {
    const run = this.runOf(lv);
    return run.lamportStart + (lv - run.lvStart);
  }

  /** The only parent of `lv`, or -2 when it has none or several (no allocation: the hot path). */
  soleParent(lv: number): number {
    const run = this.runOf(lv);
    if (lv !== run.lvStart) return lv - 1;
    return run.parents.length === 1 ? run.parents[0]! : -2;
  }

  parentsOf(lv: number): readonly number[] {
    const run = this.runOf(lv);
    return lv === run.lvStart ? run.parents : [lv - 1];
  }

  /**
   * Appends an event. The caller has checked that the parents are held and that `seq` is the agent's
   * next seq; this only asserts it. Returns the new LV.
   */
  add(agent: string, seq: number, parents: readonly number[]): number {
    const a = this.agentIdx(agent, true);
    if (seq !== this.nextSeq(agent)) {
      throw new TandemError(CoreErrorCode.SeqOutOfOrder, `event ${agent}:${seq} is out of order: expected seq ${this.nextSeq(agent)}`);
    }
    const lv = this.count;
    const last = this.runs[this.runs.length - 1];
    if (
      last !== undefined &&
      last.agent === a &&
      last.seqStart + last.len === seq &&
      parents.length === 1 &&
      parents[0] === lv - 1 &&
      last.lvStart + last.len === lv
    ) {
      last.len++;
    } else {
      let lamport = 0;
      for (const p of parents) lamport = Math.max(lamport, this.lamportOf(p) + 1);
      this.runs.push({ lvStart: lv, len: 1, agent: a, seqStart: seq, parents: parents.slice(), lamportStart: lamport });
    }
    const spans = this.agentSpans[a]!;
    const lastSpan = spans[spans.length - 1];
    if (lastSpan !== undefined && lastSpan.lvStart + lastSpan.len === lv && lastSpan.seqStart + lastSpan.len === seq) lastSpan.len++;
    else spans.push({ seqStart: seq, lvStart: lv, len: 1 });
    this.count++;
    return lv;
  }

  /**
   * Appends a run of `len` events of one agent (seqs seq..seq+len-1), the first with `parents`, each
   * later one the child of the one before. Returns the first LV.
   */
  addRun(agent: string, seq: number, len: number, parents: readonly number[]): number {
    const first = this.add(agent, seq, parents);
    if (len > 1) {
      const run = this.runs[this.runs.length - 1]!;
      run.len += len - 1;
      const spans = this.agentSpans[run.agent]!;
      spans[spans.length - 1]!.len += len - 1;
      this.count += len - 1;
    }
    return first;
  }

  /** Drops every event with LV >= `size` (used to roll back a failed batch). */
  truncate(size: number): void {
    while (this.count > size) {
      const run = this.runs[this.runs.length - 1]!;
      const drop = Math.min(run.len, this.count - size);
      const spans = this.agentSpans[run.agent]!;
      const span = spans[spans.length - 1]!;
      span.len -= drop;
      if (span.len === 0) spans.pop();
      run.len -= drop;
      if (run.len === 0) this.runs.pop();
      this.count -= drop;
    }
  }

  /** Version vector of everything held. */
  vector(): VersionVector {
    const v: Record<string, number> = Object.create(null) as Record<string, number>;
    for (let i = 0; i < this.agentNames.length; i++) {
      const n = this.nextSeq(this.agentNames[i]!);
      if (n > 0) v[this.agentNames[i]!] = n;
    }
    return v;
  }

  /** Converts an LV frontier to a sorted list of event ids. */
  frontierToIds(f: LvFrontier): EventId[] {
    return f.map((lv) => this.lvToId(lv)).sort(compareEventIds);
  }

  /** Converts ids to LVs, throwing ERR_UNKNOWN_VERSION for an id that is not held. */
  idsToLvs(ids: readonly EventId[]): number[] {
    const out: number[] = [];
    for (const id of ids) {
      const lv = this.idToLv(id);
      if (lv < 0) throw new TandemError(CoreErrorCode.UnknownVersion, `unknown event ${id.agent}:${id.seq}`);
      out.push(lv);
    }
    return out.sort((x, y) => x - y);
  }

  /**
   * Reduces a set of LVs to a frontier (drops any that are an ancestor of another). Small inputs (the
   * common case) only walk back as far as the smallest LV.
   */
  simplify(lvs: readonly number[]): number[] {
    const uniq = [...new Set(lvs)].sort((x, y) => x - y);
    if (uniq.length <= 1) return uniq;
    const result: number[] = [];
    for (const lv of uniq) {
      const others = uniq.filter((o) => o !== lv && o > lv);
      if (!others.some((o) => this.isAncestor(lv, [o]))) result.push(lv);
    }
    return result;
  }

  /** True when `lv` is in the version `frontier` (an ancestor of, or equal to, one of its events). */
  isAncestor(lv: number, frontier: LvFrontier): boolean {
    const heap = new MaxHeap();
    const seen = new Set<number>();
    for (const f of frontier) {
      if (f === lv) return true;
      if (f > lv && !seen.has(f)) {
        seen.add(f);
        heap.push(f);
      }
    }
    while (heap.size > 0) {
      const top = heap.pop();
      const run = this.runOf(top);
      if (lv >= run.lvStart && lv <= top) return true;
      for (const p of run.parents) {
        if (p === lv) return true;
        if (p > lv && !seen.has(p)) {
          seen.add(p);
          heap.push(p);
        }
      }
    }
    return false;
  }

  /**
   * The events in version `a` but not `b` (aOnly) and in `b` but not `a` (bOnly), as ascending LV
   * spans. Walks back from both frontiers in descending LV order and stops as soon as everything
   * left in the queue is common to both, so its cost is the size of the difference, not the history.
   * `known`, when given, tells sides an event is already known to be in (SIDE flags: 1 = a, 2 = b):
   * a caller that keeps track of version `a` lets the walk settle common events at once instead of
   * walking down until both sides reach them.
   */
  diff(a: LvFrontier, b: LvFrontier, known?: (lv: number) => number): { aOnly: LvSpan[]; bOnly: LvSpan[] } {
    const aOnly: LvSpan[] = [];
    const bOnly: LvSpan[] = [];
    // Per-LV side flags of the walk (0 = not queued), reused across calls: the merge diffs once per
    // concurrent event, and a Map per call cost more than the walk itself.
    if (this.walkFlags.length < this.count) this.walkFlags = new Uint8Array(Math.max(this.count, this.walkFlags.length * 2));
    const flags = this.walkFlags;
    const heap = this.walkHeap;
    let shared = 0;
    const mark = (lv: number, flag: number): void => {
      if (known !== undefined) flag |= known(lv);
      const old = flags[lv]!;
      if (old === 0) {
        flags[lv] = flag;
        heap.push(lv);
        if (flag === SIDE_BOTH) shared++;
      } else if ((old | flag) !== old) {
        flags[lv] = old | flag;
        if ((old | flag) === SIDE_BOTH) shared++;
      }
    };
    const unqueue = (lv: number): number => {
      const f = flags[lv]!;
      flags[lv] = 0;
      if (f === SIDE_BOTH) shared--;
      return f;
    };
    for (const lv of a) mark(lv, SIDE_A);
    for (const lv of b) mark(lv, SIDE_B);
    while (heap.size > shared) {
      let lv = heap.pop();
      let flag = unqueue(lv);
      const run = this.runOf(lv);
      // Walk down the run while the next queued event lies inside it: those merge into this walk.
      let end = lv + 1;
      for (;;) {
        const next = heap.size > 0 ? heap.peek() : -1;
        if (next >= run.lvStart) {
          // Events (next, lv] carry `flag`; from `next` on, the flags combine.
          if (flag !== SIDE_BOTH && next + 1 < end) (flag === SIDE_A ? aOnly : bOnly).push({ start: next + 1, end });
          end = next + 1;
          lv = heap.pop();
          flag |= unqueue(lv);
        } else {
          if (flag !== SIDE_BOTH && run.lvStart < end) (flag === SIDE_A ? aOnly : bOnly).push({ start: run.lvStart, end });
          for (const p of run.parents) mark(p, flag);
          break;
        }
      }
    }
    // What is left is common to both sides: unqueue it, leaving the flags clear for the next walk.
    while (heap.size > 0) flags[heap.pop()] = 0;
    if (aOnly.length > 1) aOnly.sort((x, y) => x.start - y.start);
    if (bOnly.length > 1) bOnly.sort((x, y) => x.start - y.start);
    return { aOnly: mergeSpans(aOnly), bOnly: mergeSpans(bOnly) };
  }

  /**
   * Finds the latest single event V (or -1 for the root) that every event in the union of `frontiers`
   * descends from or equals — a critical version for that set — and returns the events after it.
   * Merging needs only to replay those events: everything at V is common ground. An entry of -1 in
   * `frontiers` stands for the root (an event with no parents), forcing the walk all the way back.
   * With `maxEvents`, gives up (returns undefined) once more than that many events lie after the base.
   */
  findCriticalBase(frontiers: LvFrontier): { base: number; after: LvSpan[] };
  findCriticalBase(frontiers: LvFrontier, maxEvents: number): { base: number; after: LvSpan[] } | undefined;
  findCriticalBase(frontiers: LvFrontier, maxEvents = Infinity): { base: number; after: LvSpan[] } | undefined {
    const heap = new MaxHeap();
    const queued = new Set<number>();
    for (const lv of frontiers) {
      if (!queued.has(lv)) {
        queued.add(lv);
        heap.push(lv);
      }
    }
    const after: LvSpan[] = [];
    let counted = 0;
    while (heap.size > 1) {
      if (counted > maxEvents) return undefined;
      const lv = heap.pop();
      queued.delete(lv);
      const run = this.runOf(lv);
      const next = heap.peek();
      if (next >= run.lvStart) {
        // The next queued event is an ancestor inside this run: the walk continues from it.
        after.push({ start: next + 1, end: lv + 1 });
        counted += lv - next;
        continue;
      }
      after.push({ start: run.lvStart, end: lv + 1 });
      counted += lv + 1 - run.lvStart;
      // A run starting at the root descends from nothing but the root (-1): queue that.
      const parents = run.parents.length === 0 ? [-1] : run.parents;
      for (const p of parents) {
        if (!queued.has(p)) {
          queued.add(p);
          heap.push(p);
        }
      }
    }
    if (counted > maxEvents) return undefined;
    const base = heap.size === 1 ? heap.pop() : -1;
    after.sort((x, y) => x.start - y.start);
    return { base, after: mergeSpans(after) };
  }

  /** All parents of an LV range's events that lie outside the range, used when exporting runs. */
  *runsIn(span: LvSpan): Generator<{ start: number; end: number; agent: number; seqStart: number; parents: readonly number[] }> {
    let lv = span.start;
    while (lv < span.end) {
      const run = this.runOf(lv);
      const end = Math.min(span.end, run.lvStart + run.len);
      yield {
        start: lv,
        end,
        agent: run.agent,
        seqStart: run.seqStart + (lv - run.lvStart),
        parents: lv === run.lvStart ? run.parents : [lv - 1],
      };
      lv = end;
    }
  }

  /** The LV spans of events not covered by a remote version vector, ascending. */
  spansSince(vector: VersionVector): LvSpan[] {
    const out: LvSpan[] = [];
    for (let a = 0; a < this.agentNames.length; a++) {
      const name = this.agentNames[a]!;
      const have = Object.prototype.hasOwnProperty.call(vector, name) ? vector[name]! : 0;
      for (const s of this.agentSpans[a]!) {
        const from = Math.max(s.seqStart, have);
        if (from < s.seqStart + s.len) out.push({ start: s.lvStart + (from - s.seqStart), end: s.lvStart + s.len });
      }
    }
    out.sort((x, y) => x.start - y.start);
    return mergeSpans(out);
  }

  /** Lists the runs of the graph (for encoding and statistics). */
  runCount(): number {
    return this.runs.length;
  }
}

/** Whether two frontiers (both sorted) are the same version. */
export function sameFrontier(a: LvFrontier, b: LvFrontier): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The frontier after appending event `lv` (whose parents are all in `f`'s history). */
export function advanceFrontier(f: LvFrontier, lv: number, parents: readonly number[]): number[] {
  const out = f.filter((x) => !parents.includes(x));
  out.push(lv);
  return out.sort((x, y) => x - y);
}

/** Merges adjacent or overlapping sorted spans. */
export function mergeSpans(spans: LvSpan[]): LvSpan[] {
  const out: LvSpan[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last !== undefined && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ start: s.start, end: s.end });
  }
  return out;
}

/** A binary max-heap of numbers: the walks pop LVs in descending order. */
export class MaxHeap {
  private readonly data: number[] = [];
  get size(): number {
    return this.data.length;
  }
  peek(): number {
    return this.data.length > 0 ? this.data[0]! : -1;
  }
  push(x: number): void {
    const d = this.data;
    d.push(x);
    let i = d.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (d[p]! >= x) break;
      d[i] = d[p]!;
      i = p;
    }
    d[i] = x;
  }
  pop(): number {
    const d = this.data;
    const top = d[0]!;
    const last = d.pop()!;
    if (d.length > 0) {
      let i = 0;
      const n = d.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && d[r]! > d[l]! ? r : l;
        if (d[c]! <= last) break;
        d[i] = d[c]!;
        i = c;
      }
      d[i] = last;
    }
    return top;
  }
}
