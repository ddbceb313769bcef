/**
 * Merging a group commit's submissions into the replica with one `receive` instead of one each.
 * Each receive of concurrent events replays the text from their common ancestor, so under many
 * concurrent writers the replay, not the database, is a session's main cost; one receive for the
 * group replays that region once. Only submissions in a causal order are merged together: fresh
 * events, none twice, each naming only parents the replica holds or that come earlier in the group
 * (a client's pipelined operations). Then every event is applied, and the group can be stored
 * submission after submission in a causal order.
 */
import type { AppliedChange, Doc, Event } from '@tandem/core';

/** What one receive of the whole group did, split back by submission. */
export interface MergedGroup {
  /** Per submission (same order), its events in the order the replica applied them. */
  readonly applied: readonly (readonly Event[])[];
  /** The changes of the whole group, in order (one op sequence from before to after the group). */
  readonly changes: readonly AppliedChange[];
}

/** A replica applied an event of no submission: it is now ahead of what the group will store. */
export class MergeSplitError extends Error {}

function key(agent: string, seq: number): string {
  return `${seq}\u0000${agent}`;
}

/** True when the submissions may be merged together (see the module comment). */
export function canMergeTogether(doc: Doc, batches: readonly (readonly Event[])[]): boolean {
  const seen = new Set<string>();
  for (const events of batches) {
    for (const e of events) {
      const k = key(e.id.agent, e.id.seq);
      if (seen.has(k) || doc.has(e.id)) return false;
      for (const p of e.parents) if (!seen.has(key(p.agent, p.seq)) && !doc.has(p)) return false;
      seen.add(k);
    }
  }
  return true;
}

/**
 * Receives every submission's events in one call. Throws what the replica threw (leaving it
 * unchanged) if any event is refused; the caller then merges them one by one to find which. A
 * MergeSplitError means the replica changed and cannot be matched to the group (a bug).
 */
export function mergeTogether(doc: Doc, batches: readonly (readonly Event[])[]): MergedGroup {
  const owner = new Map<string, number>();
  batches.forEach((events, i) => {
    for (const e of events) owner.set(key(e.id.agent, e.id.seq), i);
  });
  const result = doc.receive(batches.flat());
  const applied: Event[][] = batches.map(() => []);
  for (const e of result.applied) {
    const i = owner.get(key(e.id.agent, e.id.seq));
    // canMergeTogether leaves the replica nothing else to apply (no held events it could wake).
    if (i === undefined) throw new MergeSplitError(`event ${JSON.stringify(e.id.agent)}:${e.id.seq} was applied but belongs to no submission of the group`);
    applied[i]!.push(e);
  }
  return { applied, changes: result.changes };
}
