/**
 * Keeping a document session in the database's order when other nodes write the same document.
 * The replica must always hold exactly the stored events up to the session's version, and clients
 * must be told versions in increasing order, each only once they have everything before it (they
 * resume from it). Two situations break the single-writer picture, and each has a function here:
 *
 * - `takeStoredAfter`: another node stored events (a commit notice, or polling while the bus is
 *   down); read them back and take them in, by runs of one author.
 * - `takeOvertaken`: our append was overtaken, i.e. another node stored events between the
 *   replica's version and ours (the versions the store returned leave a gap). Take the gap in and
 *   deliver it before our batch.
 */
import type { AppliedChange, Doc, DocId, Event, TextOp } from '@tandem/core';
import type { AppendResult, StoredEvent } from '../storage/doc-store.js';
import type { AgentBindings } from './agent-bindings.js';
import type { SessionClient } from './document-session.js';
import { sendCommit, sendEvents, sendOt } from './fanout.js';
import { StorageReadError } from './session-errors.js';
import type { SessionFailedError } from './session-errors.js';
import { chain, exclude, perTextOps } from './text-changes.js';
import type { VersionWindow } from './version-window.js';

/** Stored events read per query when catching up. */
const CATCH_UP_BATCH = 1_000;

/** A submission merged into the replica, waiting to be stored. */
export interface Prepared {
  readonly from: SessionClient | undefined;
  readonly author: string;
  readonly applied: readonly Event[];
  readonly changes: readonly AppliedChange[];
  readonly duplicates: number;
}

/** What a commit tells the submitter: the server version after its events. */
export interface CommitResult {
  readonly version: number;
  readonly duplicates: number;
  readonly applied: number;
}

/** The parts of a session these functions work on. */
export interface ReplicaContext {
  readonly docId: DocId;
  readonly doc: Doc;
  readonly window: VersionWindow;
  readonly bindings: AgentBindings;
  readonly serverUser: string;
  clients(): Iterable<SessionClient>;
  /** The session's server version (the replica holds every stored event up to it). */
  head: number;
  /** Stored events after `after`, at most `limit`; rejects with StorageReadError. */
  readStored(after: number, limit: number): Promise<StoredEvent[]>;
  /** Marks the session failed (clients told); returns the error to throw. */
  fail(err: unknown): SessionFailedError;
  committed(count: number, textOps: ReadonlyMap<string, TextOp>, origin: 'local' | 'remote'): void;
}

function idKey(e: Event): string {
  return `${e.id.seq}\u0000${e.id.agent}`;
}

/**
 * Reads the events stored after the replica's version and takes them in, in version order, telling
 * every client. Call only inside the session's write order, with nothing unstored in the replica.
 */
export async function takeStoredAfter(ctx: ReplicaContext): Promise<void> {
  for (;;) {
    const rows = await ctx.readStored(ctx.head, CATCH_UP_BATCH);
    if (rows.length === 0) return;
    if (rows[0]!.version !== ctx.head + 1) throw new StorageReadError(`document ${ctx.docId}: stored versions resume at ${rows[0]!.version}, after ${ctx.head}`);
    for (const run of await ctx.bindings.runs(rows)) {
      let changes: readonly AppliedChange[];
      try {
        changes = ctx.doc.receive(run.events).changes;
      } catch (err) {
        // Stored history the replica refuses: nothing sane can be served from this replica.
        throw ctx.fail(err);
      }
      ctx.window.record(run.events);
      ctx.head = run.version;
      const textOps = perTextOps(changes);
      ctx.window.addOt(run.version, textOps);
      sendCommit(ctx.clients(), [], ctx.docId, run.version, run.userId, run.events, textOps);
      ctx.committed(run.events.length, textOps, 'remote');
    }
    if (rows.length < CATCH_UP_BATCH) return;
  }
}

/**
 * The append of `group` was overtaken: versions `before + 1` to `first - 1` hold events another
 * node stored meanwhile (some may be events of this group it had already stored). The replica takes
 * them in, and clients hear of them before the group. Plain-OT clients get the whole step from
 * `before` to the head as one exact operation: the replica merged the two batches in the other
 * order, so there is no exact operation for the versions in between (the window blurs them).
 */
export async function takeOvertaken(ctx: ReplicaContext, group: readonly Prepared[], appended: AppendResult, before: number, first: number): Promise<CommitResult[]> {
  const gapSize = first - 1 - before;
  let runs;
  let gapOps: Map<string, TextOp>;
  try {
    const rows = await ctx.readStored(before, gapSize);
    if (rows.length !== gapSize) throw new StorageReadError(`document ${ctx.docId}: read ${rows.length} of ${gapSize} stored events`);
    runs = await ctx.bindings.runs(rows);
    gapOps = perTextOps(ctx.doc.receive(rows.map((r) => r.event)).changes);
    ctx.window.record(rows.map((r) => r.event));
  } catch (err) {
    // Ours are stored but the replica cannot follow: it reloads; clients rejoin and their resends dedupe.
    throw ctx.fail(err);
  }
  ctx.window.record(appended.stored.map((st) => st.event));
  const combined = chain(perTextOps(group.flatMap((p) => p.changes)), gapOps);
  const head = appended.head;
  ctx.head = head;
  ctx.window.addOt(head, combined);
  ctx.window.blur(before, head);
  const clients = [...ctx.clients()];
  for (const run of runs) sendEvents(clients, [], ctx.docId, run.version, run.userId, run.events);
  const versionOf = new Map<string, number>();
  for (const st of appended.stored) versionOf.set(idKey(st.event), st.version);
  const results: CommitResult[] = [];
  const senders: SessionClient[] = [];
  for (const p of group) {
    // Events the other node had stored already were in the gap; they count as duplicates.
    const stored = p.applied.filter((e) => versionOf.has(idKey(e)));
    let version = first - 1;
    for (const e of stored) version = Math.max(version, versionOf.get(idKey(e))!);
    sendEvents(clients, p.from === undefined ? [] : [p.from], ctx.docId, version, p.author, stored);
    if (p.from !== undefined) senders.push(p.from);
    results.push({ version, duplicates: p.duplicates + p.applied.length - stored.length, applied: stored.length });
  }
  sendOt(clients, senders, ctx.docId, head, group[group.length - 1]?.author ?? ctx.serverUser, combined);
  // A plain-OT sender still has its operation in flight: it gets the other node's batch without its
  // own (it transforms it past the operation, as it does any remote operation before its ack).
  const otSenders = senders.filter((c) => c.mode === 'ot');
  if (otSenders.length > 0) {
    const mine = perTextOps(group.filter((p) => p.from?.mode === 'ot').flatMap((p) => p.changes));
    const theirs = new Map<string, TextOp>();
    for (const [text, op] of gapOps) theirs.set(text, mine.has(text) ? exclude(op, mine.get(text)!) : op);
    sendOt(otSenders, [], ctx.docId, first - 1, runs[runs.length - 1]?.userId ?? ctx.serverUser, theirs);
  }
  ctx.committed(appended.stored.length, combined, 'local');
  return results;
}

/**
 * Coalesces catch-ups of one session: any number of requests while one is queued share it. A
 * catch-up asked for by a notice (`announced`) skips the read if, when its turn comes, the replica
 * already reached every announced head (an overtaken commit read those events on its way).
 */
export class CatchUps {
  /** The highest head other nodes announced. */
  private remoteHead = 0;
  private queued: Promise<void> | undefined;
  private forced = false;

  constructor(
    /** Runs `fn` in the session's write order. */
    private readonly serialize: (fn: () => Promise<void>) => Promise<void>,
    private readonly run: () => Promise<void>,
    /** The replica's version. */
    private readonly head: () => number,
  ) {}

  /** Another node announced `head`; `current` is the replica's version. */
  announced(head: number, current: number): Promise<void> {
    if (head > this.remoteHead) this.remoteHead = head;
    return head > current ? this.enqueue(false) : Promise.resolve();
  }

  /** A catch-up that reads whatever happens (loads, polls, reconnects). */
  request(): Promise<void> {
    return this.enqueue(true);
  }

  /** Whether a node announced a head beyond `current`. */
  behind(current: number): boolean {
    return this.remoteHead > current;
  }

  private enqueue(force: boolean): Promise<void> {
    if (force) this.forced = true;
    this.queued ??= this.serialize(async () => {
      const forced = this.forced;
      this.queued = undefined;
      this.forced = false;
      if (forced || this.remoteHead > this.head()) await this.run();
    });
    return this.queued;
  }
}
