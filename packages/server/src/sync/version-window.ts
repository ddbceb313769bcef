/**
 * VersionWindow owns what a document session remembers about its recent server versions: the
 * frontier each version stands for (so the version a plain-OT client names maps to a version of the
 * replica) and the plain-OT form of recent commits (so OT clients catch up with `request_sync`).
 *
 * Frontiers are kept exactly, event by event, because a version vector cannot describe a version in
 * which one agent's events are concurrent with each other (a plain OT client's pipelined ops are).
 *
 * Server versions are the database's, the same on every node. When a commit raced with another
 * node's (the other node's events got the versions just before ours), this node's replica merged
 * the two in the other order, so it has no exact OT form for the versions strictly inside that
 * commit: they are "blurred", and OT requests naming them are refused (the client rejoins). The
 * versions at both ends are exact, and no OT client of this node is ever told a blurred one except
 * the sender of the racing operation, which has its operation in flight until the ack moves it past.
 */
import { compareEventIds } from '@tandem/core';
import type { Event, EventId, TextOp } from '@tandem/core';

export interface OtEntry {
  readonly version: number;
  readonly text: string;
  readonly operations: TextOp;
}

export class VersionWindow {
  /** frontiers[i] stands for version base + 1 + i. */
  private readonly frontiers: (readonly EventId[])[] = [];
  /** The frontier at version base. */
  private baseFrontier: readonly EventId[];
  private base: number;
  private readonly ot: OtEntry[] = [];
  /** The OT log holds every commit after this version. */
  private otFloor: number;
  private readonly blurred: { readonly from: number; readonly to: number }[] = [];

  constructor(
    head: number,
    frontier: readonly EventId[],
    private readonly size: number,
  ) {
    this.base = head;
    this.baseFrontier = frontier;
    this.otFloor = head;
  }

  /** The oldest version an OT operation may be made against. */
  get floor(): number {
    return this.base;
  }

  /** The next versions stored these events, in this order (a causal order: the database's). */
  record(events: Iterable<Event>): void {
    for (const e of events) this.frontiers.push(nextFrontier(this.frontiers[this.frontiers.length - 1] ?? this.baseFrontier, e));
    if (this.frontiers.length > this.size) {
      const drop = this.frontiers.length - this.size;
      this.baseFrontier = this.frontiers[drop - 1]!;
      this.frontiers.splice(0, drop);
      this.base += drop;
    }
  }

  /** The frontier version `v` stands for; `head` (the replica's) when v is the last version. */
  frontierAt(v: number, head: readonly EventId[]): readonly EventId[] {
    if (v === this.base) return this.baseFrontier;
    return this.frontiers[v - this.base - 1] ?? head;
  }

  /** The plain-OT form of the commit that brought the document to `version`. */
  addOt(version: number, perText: ReadonlyMap<string, TextOp>): void {
    for (const [text, operations] of perText) this.ot.push({ version, text, operations });
    if (this.ot.length > this.size) {
      const dropped = this.ot.splice(0, this.ot.length - this.size);
      this.otFloor = dropped[dropped.length - 1]!.version;
    }
    while (this.blurred.length > 0 && this.blurred[0]!.to <= Math.min(this.otFloor, this.base)) this.blurred.shift();
  }

  /** Versions strictly between `from` and `to` have no exact OT form here. */
  blur(from: number, to: number): void {
    if (to - from > 1) this.blurred.push({ from, to });
  }

  private isBlurred(v: number): boolean {
    return this.blurred.some((b) => v > b.from && v < b.to);
  }

  /** The OT operations after `since`, or undefined when they cannot be given exactly. */
  otAfter(since: number, head: number): OtEntry[] | undefined {
    if (since > head || since < this.otFloor || this.isBlurred(since)) return undefined;
    return this.ot.filter((e) => e.version > since);
  }

  /** Why an OT operation may not be made against version `v`, or undefined when it may. */
  refuses(v: number, head: number): string | undefined {
    if (v > head || v < this.base) return `version ${v} is outside the window ${this.base}..${head}: rejoin`;
    if (this.isBlurred(v)) return `version ${v} lies inside a commit that raced with another server: rejoin`;
    return undefined;
  }
}

/** The frontier after `e`, given the frontier before it (events arrive in a causal order). */
function nextFrontier(before: readonly EventId[], e: Event): readonly EventId[] {
  const seen = (id: EventId): boolean => e.parents.some((p) => p.agent === id.agent && p.seq === id.seq);
  return [...before.filter((id) => !seen(id)), e.id].sort(compareEventIds);
}
