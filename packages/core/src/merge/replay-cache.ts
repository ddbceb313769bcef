/**
 * ReplayCache owns the Eg-walker replay states a replica keeps between merges, one per text.
 *
 * Rebuilding the state from the last critical version at every merge costs the whole concurrent
 * stretch of history each time; when replicas edit continuously there is no recent critical version,
 * so each merge would replay more and more. Instead a kept state is carried forward: events added
 * since it was last used are replayed into it silently (they are already in the text), then the new
 * events are replayed with output, as a replay from scratch over the same events would.
 *
 * A state built from critical base B stays valid while every event held after B descends from B: all
 * later events in LV order, then, are exactly the events since B, and B is still a critical version.
 * Events added by the fast path (parents = the current version) always keep that; an event whose
 * parents all lie before B breaks it, and the state is dropped. A state is also dropped when a recent
 * critical version makes a fresh replay about as cheap as catching up (which keeps it small), when it
 * outgrows the item limit, and when a merge fails.
 */
import type { EventGraph, LvFrontier, LvSpan } from '../event-graph.js';
import type { OpLog, Patch } from '../op-log.js';
import { TextReplay } from './eg-walker.js';

/** Default for {@link ReplayCache}'s item limit: about 50 MB of state for one text at worst. */
export const DEFAULT_MAX_KEPT_ITEMS = 500_000;

/**
 * A fresh replay from a newer critical version is preferred to catching up a kept state when it
 * replays at most this many events more than the catch-up would.
 */
const REBUILD_SLACK = 32;

interface KeptReplay {
  readonly replay: TextReplay;
  /** Events [0, stepped) with LV above the replay's base have been replayed into it. */
  stepped: number;
}

export class ReplayCache {
  private readonly kept = new Map<string, KeptReplay>();

  /**
   * @param maxItems most items a state may hold and still be kept after a merge (0 = keep none)
   */
  constructor(private readonly maxItems: number = DEFAULT_MAX_KEPT_ITEMS) {
    if (!Number.isSafeInteger(maxItems) || maxItems < 0) throw new RangeError(`replay state limit must be a non-negative integer, got ${maxItems}`);
  }

  /** Number of texts with a kept state. */
  get size(): number {
    return this.kept.size;
  }

  /** Items held by all kept states. */
  get itemCount(): number {
    let n = 0;
    for (const k of this.kept.values()) n += k.replay.itemCount;
    return n;
  }

  /** Drops every kept state (after a failed or rolled-back merge). */
  clear(): void {
    this.kept.clear();
  }

  /**
   * Starts merging the group of events [start, end), which are not all simple successors of the
   * current version. `frontiers` holds the current version and the group's parents outside it.
   * Drops the kept states that the group's events do not all descend from.
   */
  beginGroup(graph: EventGraph, log: OpLog, frontiers: LvFrontier, start: number, end: number): GroupMerge {
    if (this.kept.size > 0) {
      for (let lv = start; lv < end; lv++) {
        const maxParent = maxParentOf(graph, lv);
        for (const [name, k] of this.kept) if (maxParent < k.replay.base) this.kept.delete(name);
      }
    }
    return new GroupMerge(this, graph, log, frontiers, start, end);
  }

  /** @internal */
  take(name: string): KeptReplay | undefined {
    const k = this.kept.get(name);
    // Taken out while in use: if the merge throws, no half-updated state stays behind.
    this.kept.delete(name);
    return k;
  }

  /** @internal */
  keep(name: string, k: KeptReplay): void {
    if (k.replay.itemCount <= this.maxItems) this.kept.set(name, k);
  }
}

/** The merge of one group of events, text by text. */
export class GroupMerge {
  private fullBase: { base: number; after: LvSpan[] } | undefined;

  constructor(
    private readonly cache: ReplayCache,
    private readonly graph: EventGraph,
    private readonly log: OpLog,
    private readonly frontiers: LvFrontier,
    private readonly start: number,
    private readonly end: number,
  ) {}

  /**
   * Replays the group for text `name` (whose length before the group is `currentLength`) and returns,
   * per event that changes it, the patches to apply to the text. Throws ERR_BASE_LENGTH_MISMATCH for
   * an op that reaches past the end of the text at its parents.
   */
  replay(name: string, currentLength: number): Map<number, Patch[]> {
    const { graph, log, start, end } = this;
    let kept = this.cache.take(name);
    if (kept !== undefined) {
      const limit = start - kept.stepped + REBUILD_SLACK;
      // The base is at or before the oldest frontier entry, and every event after it is replayed: when
      // that entry is too old, no walk can find a cheap enough base.
      let oldest = start;
      for (const lv of this.frontiers) if (lv < oldest) oldest = lv;
      const recent = start - 1 - oldest > limit ? undefined : graph.findCriticalBase(this.frontiers, limit);
      if (recent === undefined) {
        kept.replay.replayOld(graph, log, kept.stepped, start);
        kept.stepped = start;
      } else {
        kept = this.build(name, recent, currentLength);
      }
    } else {
      this.fullBase ??= graph.findCriticalBase(this.frontiers);
      kept = this.build(name, this.fullBase, currentLength);
    }
    const out = new Map<number, Patch[]>();
    for (let lv = start; lv < end; lv++) {
      const patches = kept.replay.replayFresh(graph, log, lv);
      if (patches !== undefined && patches.length > 0) out.set(lv, patches);
    }
    kept.stepped = end;
    this.cache.keep(name, kept);
    return out;
  }

  private build(name: string, critical: { base: number; after: readonly LvSpan[] }, currentLength: number): KeptReplay {
    const replay = new TextReplay(name, critical.base);
    for (const span of critical.after) replay.replayOld(this.graph, this.log, span.start, span.end);
    replay.setCurrentLength(currentLength);
    return { replay, stepped: this.start };
  }
}

/** The highest parent LV of an event, -1 when it has none. */
function maxParentOf(graph: EventGraph, lv: number): number {
  const sole = graph.soleParent(lv);
  if (sole !== -2) return sole;
  let max = -1;
  for (const p of graph.parentsOf(lv)) if (p > max) max = p;
  return max;
}
