/**
 * Turns a batch of accepted events (already appended to the graph and op log) into the changes to
 * apply to the materialized state: events whose parents are the current version take the fast path
 * (their operation applies as is); runs of concurrent events go through the Eg-walker replay, which
 * continues the replay state kept from the previous merge when it can (see ReplayCache), or else
 * starts from the last critical version instead of the beginning of history.
 */
import { TandemError, CoreErrorCode } from './errors.js';
import { advanceFrontier, sameFrontier } from './event-graph.js';
import type { EventGraph, LvFrontier } from './event-graph.js';
import { ReplayCache } from './merge/replay-cache.js';
import type { OpLog, Patch } from './op-log.js';

/**
 * The output of one event: for a text event, its name and — when the merge transformed it — the
 * patches to apply (against the text just before); without patches the event's own op applies as is.
 * For a map event, nothing: the write is read from the log.
 */
export interface BatchOutput {
  readonly lv: number;
  readonly text?: string;
  readonly patches?: readonly Patch[];
}

/** Whether event `lv`'s parents are exactly the frontier `f`, without allocating in the common case. */
function parentsAre(graph: EventGraph, lv: number, f: LvFrontier): boolean {
  if (f.length === 1) return graph.soleParent(lv) === f[0];
  return sameFrontier(graph.parentsOf(lv), f);
}


/**
 * Computes the outputs of events `start..end-1` (consecutive LVs, topologically ordered), given the
 * frontier and text lengths before them. Throws ERR_BASE_LENGTH_MISMATCH for an operation that reaches
 * past the end of its text at its parents; the caller rolls back. `cache` holds the replay states kept
 * between merges (a throwaway one by default); after an error it is cleared.
 */
export function computeBatch(
  graph: EventGraph,
  log: OpLog,
  frontier: LvFrontier,
  start: number,
  end: number,
  textLength: (name: string) => number,
  cache: ReplayCache = new ReplayCache(0),
): { outputs: BatchOutput[]; frontier: number[] } {
  try {
    return computeOutputs(graph, log, frontier, start, end, textLength, cache);
  } catch (err) {
    // A failed replay may have left a kept state half-updated, and the caller drops the new events.
    cache.clear();
    throw err;
  }
}

function computeOutputs(
  graph: EventGraph,
  log: OpLog,
  frontier: LvFrontier,
  start: number,
  end: number,
  textLength: (name: string) => number,
  cache: ReplayCache,
): { outputs: BatchOutput[]; frontier: number[] } {
  const lengths = new Map<string, number>();
  const lengthOf = (name: string): number => lengths.get(name) ?? textLength(name);
  const outputs: BatchOutput[] = [];
  let current = frontier.slice();
  let lv = start;
  while (lv < end) {
    if (parentsAre(graph, lv, current)) {
      const name = log.textNameOf(lv);
      if (name !== undefined) {
        let len = lengthOf(name);
        const at = lv;
        log.forEachPatch(lv, (pos, del, ins) => {
          if (pos + del > len) throw lengthError(graph, at, name, pos, del, len);
          len += ins.length - del;
        });
        lengths.set(name, len);
        outputs.push({ lv, text: name });
      } else {
        outputs.push({ lv });
      }
      current = [lv];
      lv++;
      continue;
    }
    // A run of events that are not simple successors of the current version: merge them together.
    const groupStart = lv;
    let groupFrontier = current;
    const external = new Set<number>();
    const names = new Set<string>();
    do {
      const ps = graph.parentsOf(lv);
      for (const p of ps) if (p < groupStart) external.add(p);
      // An event made on the empty document reaches back to the root, which then is the only base.
      if (ps.length === 0) external.add(-1);
      const name = log.textNameOf(lv);
      if (name !== undefined) names.add(name);
      groupFrontier = advanceFrontier(groupFrontier, lv, ps);
      lv++;
    } while (lv < end && !parentsAre(graph, lv, groupFrontier));
    const group = cache.beginGroup(graph, log, [...current, ...external], groupStart, lv);
    const byLv = new Map<number, { name: string; patches: Patch[] }>();
    for (const name of names) {
      const patches = group.replay(name, lengthOf(name));
      let len = lengthOf(name);
      for (const [at, ps] of patches) {
        byLv.set(at, { name, patches: ps });
        for (const p of ps) len += p[2].length - p[1];
      }
      lengths.set(name, len);
    }
    for (let at = groupStart; at < lv; at++) {
      const t = byLv.get(at);
      // A text event whose merge emitted nothing (its effect was already there) outputs nothing.
      outputs.push(t === undefined ? (log.textNameOf(at) === undefined ? { lv: at } : { lv: at, patches: [] }) : { lv: at, text: t.name, patches: t.patches });
    }
    current = groupFrontier;
  }
  return { outputs, frontier: current };
}

function lengthError(graph: EventGraph, lv: number, name: string, pos: number, del: number, len: number): TandemError {
  const id = graph.lvToId(lv);
  return new TandemError(
    CoreErrorCode.BaseLengthMismatch,
    `event ${id.agent}:${id.seq} edits text "${name}" at ${pos}..${pos + del} but the text at its parents has length ${len}`,
  );
}
