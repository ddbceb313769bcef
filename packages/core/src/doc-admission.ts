/**
 * Event admission: which of a batch of received events a replica takes in, and in what order. Known
 * events are duplicates (and must carry the same payload, or the batch fails); events whose parents
 * or whose agent's previous event are missing wait — in the batch, or in the replica's buffer when
 * buffering was asked for; the rest are appended to the graph and log in a topological order,
 * waking whatever waited on them. The caller rolls everything back if this throws.
 */
import { changeEqual } from './change-equality.js';
import { TandemError, CoreErrorCode } from './errors.js';
import type { Event } from './event.js';
import type { EventGraph } from './event-graph.js';
import type { EventId } from './ids.js';
import { compareEventIds } from './ids.js';
import type { OpLog } from './op-log.js';
import { PendingEvents } from './pending-events.js';

export interface Admission {
  readonly graph: EventGraph;
  readonly log: OpLog;
  /** The replica's buffer of events waiting for parents (mutated; the caller restores it on error). */
  readonly pending: PendingEvents;
  readonly maxPending: number;
}

/** Appends the admissible events of `events` to the graph and log; returns them and the duplicate count. */
export function admitEvents(a: Admission, events: readonly Event[], buffer: boolean): { accepted: Event[]; duplicates: number } {
  const { graph, log, pending } = a;
  const accepted: Event[] = [];
  let duplicates = 0;
  const stack: Event[] = [];
  const batchHeld = new PendingEvents();
  // Events woken from the buffer of earlier calls: if they still wait, they go back there.
  const fromBuffer = new Set<Event>();
  for (let i = events.length - 1; i >= 0; i--) stack.push(events[i]!);
  while (stack.length > 0) {
    const e = stack.pop()!;
    const known = graph.idToLv(e.id);
    if (known >= 0) {
      checkDuplicate(graph, log, known, e);
      duplicates++;
      continue;
    }
    const heldBefore = pending.size > 0 || batchHeld.size > 0 ? (pending.get(e.id) ?? batchHeld.get(e.id)) : undefined;
    if (heldBefore !== undefined) {
      if (!sameEvent(heldBefore, e)) throw conflict(e);
      duplicates++;
      continue;
    }
    const parents = parentLvs(graph, e);
    if (parents === undefined) {
      const missing = missingDependency(graph, e)!;
      if (fromBuffer.has(e)) pending.hold(e, missing);
      else batchHeld.hold(e, missing);
      continue;
    }
    graph.add(e.id.agent, e.id.seq, parents);
    log.push(e.change);
    accepted.push(e);
    if (batchHeld.size === 0 && pending.size === 0) continue;
    const woken = batchHeld.release(e.id);
    for (const w of pending.release(e.id)) {
      fromBuffer.add(w);
      woken.push(w);
    }
    for (let i = woken.length - 1; i >= 0; i--) stack.push(woken[i]!);
  }
  const stillHeld = batchHeld.all();
  if (stillHeld.length > 0) {
    const first = stillHeld[0]!;
    if (!buffer) {
      throw new TandemError(
        CoreErrorCode.MissingParents,
        `event ${first.id.agent}:${first.id.seq} depends on ${describeMissing(missingDependency(graph, first))}, which this replica does not have` +
          (stillHeld.length > 1 ? ` (and ${stillHeld.length - 1} more events wait on missing parents)` : ''),
      );
    }
    if (pending.size + stillHeld.length > a.maxPending) {
      throw new TandemError(CoreErrorCode.LimitExceeded, `holding ${stillHeld.length} more events for missing parents would pass the limit of ${a.maxPending}`);
    }
    for (const e of stillHeld) pending.hold(e, missingDependency(graph, e)!);
  }
  return { accepted, duplicates };
}

/** The LVs of `e`'s parents, sorted, or undefined when one of them (or the agent's previous event) is missing. */
function parentLvs(graph: EventGraph, e: Event): number[] | undefined {
  if (e.id.seq !== graph.nextSeq(e.id.agent)) return undefined;
  const ps = e.parents;
  if (ps.length === 1) {
    const lv = graph.idToLv(ps[0]!);
    return lv < 0 ? undefined : [lv];
  }
  const out: number[] = [];
  for (const p of ps) {
    const lv = graph.idToLv(p);
    if (lv < 0) return undefined;
    out.push(lv);
  }
  return out.sort((x, y) => x - y);
}

/** The first event `e` depends on that is not held: a parent, or the agent's previous event. */
function missingDependency(graph: EventGraph, e: Event): EventId | undefined {
  for (const p of e.parents) if (graph.idToLv(p) < 0) return p;
  const next = graph.nextSeq(e.id.agent);
  if (e.id.seq > next) return { agent: e.id.agent, seq: e.id.seq - 1 };
  return undefined;
}

function checkDuplicate(graph: EventGraph, log: OpLog, lv: number, e: Event): void {
  const parents = graph.frontierToIds(graph.parentsOf(lv));
  const stored: Event = { id: e.id, parents, change: log.changeOf(lv) };
  if (!sameEvent(stored, e)) throw conflict(e);
}

function sameEvent(a: Event, b: Event): boolean {
  if (a.parents.length !== b.parents.length) return false;
  const pa = [...a.parents].sort(compareEventIds);
  const pb = [...b.parents].sort(compareEventIds);
  for (let i = 0; i < pa.length; i++) {
    if (pa[i]!.agent !== pb[i]!.agent || pa[i]!.seq !== pb[i]!.seq) return false;
  }
  return changeEqual(a.change, b.change);
}

function conflict(e: Event): TandemError {
  return new TandemError(CoreErrorCode.ConflictingEvent, `event ${e.id.agent}:${e.id.seq} is already held with a different payload`);
}

function describeMissing(id: EventId | undefined): string {
  return id === undefined ? 'nothing' : `${id.agent}:${id.seq}`;
}
