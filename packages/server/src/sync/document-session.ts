/**
 * DocumentSession owns one open document on this server: its replica (a core `Doc`), its server
 * version (the number of events stored for it), the clients that joined it, and the order of writes.
 *
 * Writes are serialized per document. An event batch is first merged into the replica (which
 * validates it and leaves everything untouched on error), then committed to storage, and only then
 * acknowledged and broadcast: nothing acknowledged is ever lost. Submissions that arrive while a
 * commit is in flight form the next group: merged together (one replay of their concurrent region,
 * see merge-together.ts) when they may be, else one by one, and stored in one append (the store
 * also shares one transaction among documents). If the commit fails, the replica is
 * ahead of storage, so the session is marked failed and the registry drops it; clients rejoin and
 * resend their unacknowledged events, which is safe because events are deduplicated by id.
 *
 * Each agent (one editing replica) is bound, per document and persistently, to the user who first
 * sent events under it (see AgentBindings), so nobody can write in another user's name.
 *
 * In a cluster several nodes write the same document. The database decides server versions: the
 * replica always holds exactly the stored events up to `version`, and clients are told versions in
 * the database's order. Events other nodes stored are read back from storage (`catchUp`, on a
 * commit notice or by polling), and an append that another node's commit overtook (the versions
 * the store returns leave a gap after ours) first delivers the events in that gap.
 */
import { createHash } from 'node:crypto';
import { Doc, TandemError, isNoop } from '@tandem/core';
import type { DocId, Event, EventId, JsonValue, TextOp } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import type { AppendResult, DocStore, StoredEvent } from '../storage/doc-store.js';
import { AgentBindings } from './agent-bindings.js';
import { sendCommit, sendEvents, sendOt } from './fanout.js';
import { checkMapValues } from './map-values.js';
import { canMergeTogether, MergeSplitError, mergeTogether } from './merge-together.js';
import { SessionFailedError, StorageReadError } from './session-errors.js';
import { CatchUps, takeOvertaken, takeStoredAfter } from './stored-order.js';
import type { CommitResult, Prepared, ReplicaContext } from './stored-order.js';
import { perTextOps } from './text-changes.js';
import { VersionWindow } from './version-window.js';
import type { OtEntry } from './version-window.js';

export { SessionFailedError, StorageReadError } from './session-errors.js';

/** A client that joined the document, as the session sees it. */
export interface SessionClient {
  readonly connectionId: string;
  readonly userId: string;
  readonly mode: 'events' | 'ot';
  /**
   * Sends a message. `encoded`, when given, is `JSON.stringify(message)`: a broadcast is encoded
   * once for all its clients instead of once per client.
   */
  send(message: ServerMessage, encoded?: string): void;
}

/** Agents made by the server start with this character, which sorts after every other; clients may not use it. */
export const SERVER_AGENT_PREFIX = '\uffff';

/** The user that edits the server makes on its own behalf are attributed to. */
export const SERVER_USER = 'server';

/** What a server edit (REST write, restore) changes: an op per text name. */
export type ServerTextPlan = (texts: Readonly<Record<string, string>>, version: number) => ReadonlyMap<string, TextOp>;

export interface SessionOptions {
  /** Agent id of edits the server makes itself (REST writes, restores). */
  readonly serverAgent: string;
  /** How many recent server versions plain OT clients may refer to. */
  readonly otWindow?: number;
  /**
   * Called after each batch the replica takes in, with its per-text ops (snapshots, presence,
   * history): `local` for a commit of this node, `remote` for events another node stored.
   */
  readonly onCommit?: (session: DocumentSession, committed: number, textOps: ReadonlyMap<string, TextOp>, origin: 'local' | 'remote') => void;
  /**
   * Other nodes write to the same storage (a cluster): joins and server edits catch up from storage
   * first, and events naming parents this replica lacks make it catch up before they are refused.
   */
  readonly clustered?: boolean;
}


/**
 * Histories up to this many events go to a joining client as events even when it asked for a
 * snapshot: merging a few events is as quick as decoding, and keeps their messages readable.
 */
export const SNAPSHOT_MIN_EVENTS = 64;

/** What a joining client is sent. */
export interface JoinState {
  readonly version: number;
  readonly events?: readonly Event[];
  /** The replica at `version` as `Doc.encode` bytes (instead of `events`, when asked for). */
  readonly snapshot?: Uint8Array;
  readonly content?: Record<string, string>;
  readonly maps?: Record<string, Record<string, JsonValue>>;
}

export type { CommitResult } from './stored-order.js';

interface Submission {
  readonly from: SessionClient | undefined;
  readonly events: readonly Event[];
  resolve(r: CommitResult): void;
  reject(err: unknown): void;
}

export class DocumentSession {
  readonly docId: DocId;
  private readonly doc: Doc;
  private headVersion: number;
  /** Frontiers and OT form of the recent versions. */
  private readonly window: VersionWindow;
  /** Catch-ups from storage, coalesced: notices of other nodes' commits come in bursts. */
  private readonly catchUps: CatchUps;
  private readonly clients = new Map<string, SessionClient>();
  /** Event submissions waiting for the next group commit. */
  private readonly waiting: Submission[] = [];
  private flushScheduled = false;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;
  private lastActivity = Date.now();
  private readonly bindings: AgentBindings;
  /** This session as the database-order functions (catch-up, overtaken appends) see it. */
  private readonly order: ReplicaContext;
  /** The last encoding of the replica and the server version it stands for (joins and storage share it). */
  private encoded: { readonly version: number; readonly bytes: Uint8Array } | undefined;

  private constructor(
    docId: DocId,
    doc: Doc,
    head: number,
    private readonly store: DocStore,
    private readonly options: SessionOptions,
    encoded?: { readonly version: number; readonly bytes: Uint8Array },
  ) {
    this.encoded = encoded;
    this.docId = docId;
    this.doc = doc;
    this.headVersion = head;
    this.window = new VersionWindow(head, doc.version, options.otWindow ?? 10_000);
    this.bindings = new AgentBindings(docId, store, SERVER_USER, SERVER_AGENT_PREFIX);
    const session = this;
    this.order = {
      docId,
      doc,
      window: this.window,
      bindings: this.bindings,
      serverUser: SERVER_USER,
      clients: () => this.clients.values(),
      get head() {
        return session.headVersion;
      },
      set head(v: number) {
        session.headVersion = v;
      },
      readStored: (after, limit) => this.readStored(after, limit),
      fail: (err) => this.fail(err),
      committed: (count, textOps, origin) => {
        if (origin === 'local') this.lastActivity = Date.now();
        this.options.onCommit?.(this, count, textOps, origin);
      },
    };
    this.catchUps = new CatchUps((fn) => this.serialized(fn), () => this.catchUpNow(), () => this.headVersion);
  }

  /**
   * Loads a document from storage: its latest snapshot, then the events after it. A failed load
   * rejects; it never yields an empty document in place of a real one.
   */
  static async load(docId: DocId, store: DocStore, options: SessionOptions, decode: (bytes: Uint8Array, agent: string) => Doc): Promise<DocumentSession> {
    const snapshot = await store.loadSnapshot(docId);
    const doc = snapshot !== undefined ? decode(snapshot.bytes, options.serverAgent) : new Doc({ agent: options.serverAgent });
    let head = snapshot?.version ?? 0;
    for (;;) {
      const batch = await store.loadEvents(docId, head, 10_000);
      if (batch.length === 0) break;
      doc.receive(batch.map((s) => s.event));
      head = batch[batch.length - 1]!.version;
    }
    // A stored snapshot with nothing after it is the replica's encoding already: joins reuse it.
    return new DocumentSession(docId, doc, head, store, options, snapshot !== undefined && snapshot.version === head ? { version: head, bytes: snapshot.bytes } : undefined);
  }

  /** The server version: how many events are committed. */
  get version(): number {
    return this.headVersion;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get idleSince(): number {
    return this.clients.size > 0 ? Date.now() : this.lastActivity;
  }

  /** The replica, read-only use (texts, maps, history). */
  get replica(): Doc {
    return this.doc;
  }

  texts(): Record<string, string> {
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const name of this.doc.textNames()) out[name] = this.doc.getText(name);
    return out;
  }

  maps(): Record<string, Record<string, JsonValue>> {
    const out = Object.create(null) as Record<string, Record<string, JsonValue>>;
    for (const name of this.doc.mapNames()) {
      const m = Object.create(null) as Record<string, JsonValue>;
      for (const [k, v] of this.doc.getMap(name)) m[k] = v;
      out[name] = m;
    }
    return out;
  }

  /**
   * Adds a client and tells it the state, in the write order: every commit after this one reaches the
   * client as a remote operation after `session_joined`, none before. Events mode: the events after
   * `since` (all on a first join, or the encoded replica when `snapshot` is asked for and the
   * history is longer than SNAPSHOT_MIN_EVENTS); OT mode: the texts and maps at the current version.
   */
  joinClient(client: SessionClient, since: number, joined: (state: JoinState) => void, options: { readonly snapshot?: boolean } = {}): Promise<void> {
    return this.serialized(async () => {
      // A client moving from another node may know versions this replica has not read yet.
      if (this.options.clustered === true) await this.catchUpNow();
      let state: JoinState;
      if (client.mode === 'ot') {
        state = { version: this.headVersion, content: this.texts(), maps: this.maps() };
      } else if (since <= 0 && options.snapshot === true && this.doc.eventCount > SNAPSHOT_MIN_EVENTS) {
        state = { version: this.headVersion, snapshot: this.encodedNow() };
      } else if (since <= 0) {
        state = { version: this.headVersion, events: this.doc.events() };
      } else if (since > this.headVersion) {
        throw new TandemError('ERR_UNKNOWN_VERSION', `version ${since} is ahead of the server (${this.headVersion})`);
      } else {
        state = { version: this.headVersion, events: await this.storedAfter(since) };
      }
      this.clients.set(client.connectionId, client);
      joined(state);
    });
  }

  leave(connectionId: string): void {
    this.clients.delete(connectionId);
    this.lastActivity = Date.now();
  }

  /** Everything a joining events-mode client needs: all events, or those after `since`. */
  async eventsAfter(since: number): Promise<{ version: number; events: Event[] }> {
    return this.serialized(async () => {
      if (this.options.clustered === true && since > this.headVersion) await this.catchUpNow();
      if (since <= 0) return { version: this.headVersion, events: this.doc.events() };
      if (since > this.headVersion) throw new TandemError('ERR_UNKNOWN_VERSION', `version ${since} is ahead of the server (${this.headVersion})`);
      return { version: this.headVersion, events: await this.storedAfter(since) };
    });
  }

  /** The stored events after `since`; a storage failure becomes a StorageReadError. */
  private async storedAfter(since: number): Promise<Event[]> {
    return (await this.readStored(since)).map((s) => s.event);
  }

  /** Plain-OT catch-up: the operations after `since`, or undefined if that is too far back. */
  otAfter(since: number): OtEntry[] | undefined {
    return this.window.otAfter(since, this.headVersion);
  }

  /**
   * Merges, commits, acknowledges and broadcasts events from a client. Resolves with the server
   * version after them; rejects with TandemError for bad events or SessionFailedError on storage failure.
   */
  submitEvents(from: SessionClient | undefined, events: readonly Event[]): Promise<CommitResult> {
    // Checked here, where events come from a client (in either mode), not in prepare(), which also
    // sees the events the server builds for plain OT operations under its reserved agents.
    const reserved = from === undefined ? undefined : events.find((e) => e.id.agent.startsWith(SERVER_AGENT_PREFIX));
    if (reserved !== undefined) {
      return Promise.reject(new TandemError('ERR_INVALID_EVENT', `agent ids starting with U+FFFF are reserved for the server (event ${JSON.stringify(reserved.id.agent)})`));
    }
    // Submissions that arrive while a commit is in flight are committed together afterwards: one
    // transaction and one disk sync for many clients' edits.
    return new Promise<CommitResult>((resolve, reject) => {
      this.waiting.push({ from, events, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        void this.serialized(() => this.flushSubmissions());
      }
    });
  }

  /**
   * A plain OT operation against server version `version`: it becomes an event of the client's OT
   * agent made at that version, so the merge transforms it past everything since.
   */
  submitOt(from: SessionClient, version: number, text: string, operations: TextOp): Promise<{ version: number; duplicates: number; applied: number }> {
    return this.serialized(async () => {
      const refused = this.window.refuses(version, this.headVersion);
      if (refused !== undefined) throw new TandemError('ERR_UNKNOWN_VERSION', refused);
      // One agent per OT operation, named by the server version it arrived at: concurrent inserts at
      // one spot are ordered by agent, so an earlier-committed op always goes first (left) — the
      // rule an OT client follows when it transforms a remote op against its pending one.
      const agent = `${SERVER_AGENT_PREFIX}ot:${String(this.headVersion).padStart(15, '0')}:${from.connectionId}`;
      const seq = this.doc.vector[agent] ?? 0;
      const event: Event = { id: { agent: agent as EventId['agent'], seq }, parents: this.versionAt(version), change: { type: 'text', name: text, op: operations } };
      return this.commit(from, [event]);
    });
  }

  /**
   * An edit made by the server itself, as a server agent: the server's own, or for a user's REST
   * write or restore one derived from the user's id, so history attributes it to them.
   */
  submitServerEdit(name: string, op: TextOp, user?: string): Promise<{ version: number }> {
    return this.editServerTexts(user, () => new Map([[name, op]]));
  }

  /**
   * Server edits computed from the current texts inside the write order, so nothing can come
   * between reading the texts and changing them (a REST write with a version precondition, a
   * restore). `plan` may throw to refuse; texts it leaves out are unchanged. All ops are committed
   * as one batch: one new version, or none when the plan changes nothing.
   */
  editServerTexts(user: string | undefined, plan: ServerTextPlan): Promise<{ version: number; applied: number }> {
    return this.serialized(async () => {
      if (this.failure !== undefined) throw new SessionFailedError(`document ${this.docId} is reloading after a storage failure`);
      // A version precondition must be checked against the latest stored version, not a stale one.
      if (this.options.clustered === true) await this.catchUpNow();
      const ops = plan(this.texts(), this.headVersion);
      const agent = this.serverAgentFor(user) as EventId['agent'];
      let seq = this.doc.vector[agent] ?? 0;
      let parents: readonly EventId[] = this.doc.version;
      const events: Event[] = [];
      for (const [name, op] of ops) {
        if (isNoop(op)) continue;
        const id: EventId = { agent, seq: seq++ };
        events.push({ id, parents, change: { type: 'text', name, op } });
        parents = [id];
      }
      if (events.length === 0) return { version: this.headVersion, applied: 0 };
      const r = await this.commit(undefined, events, user);
      return { version: r.version, applied: r.applied };
    });
  }

  /** The agent of server edits for `user`: short and stable, without the user id's characters. */
  private serverAgentFor(user: string | undefined): string {
    if (user === undefined) return this.options.serverAgent;
    return `${this.options.serverAgent}:${createHash('sha256').update(user).digest('base64url').slice(0, 16)}`;
  }

  /** The version (frontier) that server version `v` stands for, while it is in the recent window. */
  private versionAt(v: number): readonly EventId[] {
    if (v === this.headVersion) return this.doc.version;
    return this.window.frontierAt(v, this.doc.version);
  }

  /**
   * `serverUser` names the user a server edit (`from` undefined) is made for; without one it is the
   * server's own.
   */
  private async commit(from: SessionClient | undefined, events: readonly Event[], serverUser?: string): Promise<CommitResult> {
    await this.catchUpIfBehind();
    const [result] = await this.persist([await this.prepare(from, events, serverUser, true)]);
    return result!;
  }

  /**
   * Validates a submission and merges it into the replica (all or nothing); nothing is stored yet.
   * Throws for bad events; the replica is then unchanged.
   */
  private async prepare(from: SessionClient | undefined, events: readonly Event[], serverUser: string | undefined, first: boolean): Promise<Prepared> {
    if (this.failure !== undefined) throw new SessionFailedError(`document ${this.docId} is reloading after a storage failure`);
    checkMapValues(events);
    const author = from?.userId ?? serverUser ?? SERVER_USER;
    await this.bindings.check(author, events, (e) => this.doc.has(e.id));
    let result;
    try {
      result = this.doc.receive(events);
    } catch (err) {
      // Another node may have stored the parents (a client that moved here): read them, then retry.
      if (this.options.clustered !== true || !(err instanceof TandemError) || err.code !== 'ERR_MISSING_PARENTS') throw err;
      // Stored events may only be taken in while the replica holds nothing unstored.
      if (!first) throw new CatchUpFirst();
      await this.catchUpNow();
      result = this.doc.receive(events);
    }
    return { from, author, applied: result.applied, changes: result.changes, duplicates: result.duplicates };
  }

  /**
   * Commits prepared submissions to storage in one append (one transaction, one disk sync), then
   * acknowledges and broadcasts each in order. If the append fails the replica is ahead of storage:
   * the session is marked failed and every submission of the group is refused. `merged`: the group
   * was merged in one receive (its changes are the whole group's), so plain-OT clients get one
   * operation at the group's last version and the versions inside it have no exact OT form.
   */
  private async persist(group: readonly Prepared[], merged = false): Promise<CommitResult[]> {
    const all = group.flatMap((p) => p.applied);
    if (all.length === 0) return group.map((p) => ({ version: this.headVersion, duplicates: p.duplicates, applied: 0 }));
    const before = this.headVersion;
    let appended: AppendResult;
    try {
      appended = await this.store.appendEvents(this.docId, all);
    } catch (err) {
      throw this.fail(err);
    }
    const first = appended.stored[0]?.version ?? appended.head + 1;
    if (first > before + 1) return takeOvertaken(this.order, group, appended, before, first);
    const versionOf = new Map<string, number>();
    for (const st of appended.stored) versionOf.set(`${st.event.id.seq}\u0000${st.event.id.agent}`, st.version);
    const results: CommitResult[] = [];
    for (const p of group) {
      if (p.applied.length === 0) {
        results.push({ version: this.headVersion, duplicates: p.duplicates, applied: 0 });
        continue;
      }
      let version = this.headVersion;
      for (const e of p.applied) version = Math.max(version, versionOf.get(`${e.id.seq}\u0000${e.id.agent}`) ?? version);
      this.headVersion = version;
      this.window.record(p.applied);
      results.push({ version, duplicates: p.duplicates, applied: p.applied.length });
      if (merged) {
        sendEvents(this.clients.values(), p.from === undefined ? [] : [p.from], this.docId, version, p.author, p.applied);
        continue;
      }
      const textOps = perTextOps(p.changes);
      this.window.addOt(version, textOps);
      sendCommit(this.clients.values(), p.from === undefined ? [] : [p.from], this.docId, version, p.author, p.applied, textOps);
      this.options.onCommit?.(this, p.applied.length, textOps, 'local');
    }
    if (merged) {
      const textOps = perTextOps(group.flatMap((p) => p.changes));
      this.window.addOt(this.headVersion, textOps);
      this.window.blur(before, this.headVersion);
      sendOt(this.clients.values(), [], this.docId, this.headVersion, group[group.length - 1]!.author, textOps);
      this.options.onCommit?.(this, all.length, textOps, 'local');
    }
    this.headVersion = Math.max(this.headVersion, appended.head);
    this.lastActivity = Date.now();
    return results;
  }

  /** Marks the session failed (the replica is ahead of storage); returns the error to throw. */
  private fail(err: unknown): SessionFailedError {
    this.failure = err instanceof Error ? err : new Error(String(err));
    for (const c of this.clients.values()) {
      c.send({ type: 'error', code: 'STORAGE_UNAVAILABLE', message: `document ${this.docId} could not be saved; rejoin to resync`, docId: this.docId });
    }
    return new SessionFailedError(`storage failed for document ${this.docId}: ${this.failure.message}`);
  }

  /** Stored events after `after`, at most `limit`; a storage failure becomes a StorageReadError. */
  private async readStored(after: number, limit?: number): Promise<StoredEvent[]> {
    try {
      return await this.store.loadEvents(this.docId, after, limit);
    } catch (err) {
      throw new StorageReadError(`document ${this.docId} could not be read; try again (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  /**
   * Another node announced that the document is at `head`: catches up if that is ahead of this
   * replica. Resolves once done; rejects (StorageReadError) when storage could not be read.
   */
  noteRemoteHead(head: number): Promise<void> {
    return this.catchUps.announced(head, this.headVersion);
  }

  /** Takes in whatever other nodes stored since this replica's version (in the write order). */
  catchUp(): Promise<void> {
    return this.catchUps.request();
  }

  private async catchUpIfBehind(): Promise<void> {
    // Reading first narrows the window for a race; it is an optimization, so a failure is ignored.
    if (this.catchUps.behind(this.headVersion)) await this.catchUpNow().catch(() => undefined);
  }

  /** Reads what other nodes stored since this replica's version; see takeStoredAfter. */
  private catchUpNow(): Promise<void> {
    return this.failure === undefined ? takeStoredAfter(this.order) : Promise.resolve();
  }

  /** Takes every waiting submission and commits them together (group commit). */
  private async flushSubmissions(): Promise<void> {
    this.flushScheduled = false;
    let waiting = this.waiting.splice(0);
    await this.catchUpIfBehind();
    // Several events-mode submissions on a single node: merged in one receive when they cannot
    // interact (see merge-together.ts). Plain-OT senders and cluster catch-ups take the path below.
    if (waiting.length > 1 && this.options.clustered !== true && this.failure === undefined && waiting.every((s) => s.from?.mode !== 'ot')) {
      waiting = await this.checkEach(waiting);
      if (waiting.length > 1 && (await this.flushMerged(waiting))) return;
    }
    const prepared: { sub: Submission; p: Prepared }[] = [];
    const later: Submission[] = [];
    for (const sub of waiting) {
      try {
        prepared.push({ sub, p: await this.prepare(sub.from, sub.events, undefined, prepared.length === 0) });
      } catch (err) {
        if (err instanceof CatchUpFirst) later.push(sub);
        else sub.reject(err);
      }
    }
    if (later.length > 0) {
      // Leads the next group, where it may catch up before it is merged.
      this.waiting.unshift(...later);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        void this.serialized(() => this.flushSubmissions());
      }
    }
    if (prepared.length === 0) return;
    try {
      const results = await this.persist(prepared.map((x) => x.p));
      prepared.forEach((x, i) => x.sub.resolve(results[i]!));
    } catch (err) {
      for (const x of prepared) x.sub.reject(err);
    }
  }

  /**
   * The checks prepare() makes before merging, for each submission: those that fail are refused
   * here; the others are returned.
   */
  private async checkEach(waiting: readonly Submission[]): Promise<Submission[]> {
    const passed: Submission[] = [];
    for (const sub of waiting) {
      try {
        checkMapValues(sub.events);
        await this.bindings.check(sub.from?.userId ?? SERVER_USER, sub.events, (e) => this.doc.has(e.id));
        passed.push(sub);
      } catch (err) {
        sub.reject(err);
      }
    }
    return passed;
  }

  /**
   * Merges checked submissions in one receive and commits them as a group. False, with nothing
   * done, when they may not be merged together or the replica refused one of them (the caller then
   * merges them one by one, which names the culprit and keeps the others).
   */
  private async flushMerged(waiting: readonly Submission[]): Promise<boolean> {
    const batches = waiting.map((s) => s.events);
    if (!canMergeTogether(this.doc, batches)) return false;
    let merged;
    try {
      merged = mergeTogether(this.doc, batches);
    } catch (err) {
      if (!(err instanceof MergeSplitError)) return false;
      const failed = this.fail(err);
      for (const sub of waiting) sub.reject(failed);
      return true;
    }
    const last = waiting.length - 1;
    const prepared: Prepared[] = waiting.map((s, i) => ({
      from: s.from,
      author: s.from?.userId ?? SERVER_USER,
      applied: merged.applied[i]!,
      // The group's changes are one sequence; kept on its last member so flatMap yields them once.
      changes: i === last ? merged.changes : [],
      duplicates: 0,
    }));
    try {
      const results = await this.persist(prepared, true);
      waiting.forEach((s, i) => s.resolve(results[i]!));
    } catch (err) {
      for (const s of waiting) s.reject(err);
    }
    return true;
  }

  /**
   * The encoded replica and the server version it stands for, consistent with each other. Encoded
   * with the fast codec: snapshots are written often, on the document's write path.
   */
  snapshot(): Promise<{ version: number; bytes: Uint8Array }> {
    return this.serialized(async () => ({ version: this.headVersion, bytes: this.encodedNow() }));
  }

  /**
   * The replica encoded at the current server version, reused while the version stands (many
   * clients opening one document, or a join right after a storage snapshot, encode it once). Call
   * only inside the write order, where the replica holds exactly the stored events up to `version`.
   */
  private encodedNow(): Uint8Array {
    if (this.encoded?.version !== this.headVersion) this.encoded = { version: this.headVersion, bytes: this.doc.encode({ compress: 'fast' }) };
    return this.encoded.bytes;
  }

  /** Texts and maps at the current server version, consistent with each other. */
  state(): Promise<{ version: number; texts: Record<string, string>; maps: Record<string, Record<string, JsonValue>> }> {
    return this.serialized(async () => ({ version: this.headVersion, texts: this.texts(), maps: this.maps() }));
  }

  /** Runs `fn` after every earlier write of this document has finished. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for queued writes (clean shutdown). */
  async drain(): Promise<void> {
    await this.queue;
  }
}

/** Thrown by prepare() when events need a catch-up that must wait for the next group. */
class CatchUpFirst extends Error {}
