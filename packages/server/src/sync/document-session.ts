/**
 * DocumentSession owns one open document on this server: its replica (a core `Doc`), its server
 * version (the number of events stored for it), the clients that joined it, and the order of writes.
 *
 * Writes are serialized per document. An event batch is first merged into the replica (which
 * validates it and leaves everything untouched on error), then committed to storage, and only then
 * acknowledged and broadcast: nothing acknowledged is ever lost. If the commit fails, the replica is
 * ahead of storage, so the session is marked failed and the registry drops it; clients rejoin and
 * resend their unacknowledged events, which is safe because events are deduplicated by id.
 *
 * Each agent (one editing replica) is bound, per document and persistently, to the user who first
 * sent events under it; events under an agent bound to someone else are refused, so nobody can
 * write in another user's name and history can say who wrote what. Bindings are cached here, so the
 * store is asked once per new agent, not once per event.
 */
import { createHash } from 'node:crypto';
import { Doc, TandemError, compose, isNoop } from '@tandem/core';
import type { AppliedChange, DocId, Event, EventId, JsonValue, TextOp, VersionVector } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { PermissionError } from '../auth/permission-error.js';
import type { AppendResult, DocStore } from '../storage/doc-store.js';
import { isStoreError, StoreErrorCode } from '../storage/store-error.js';

/** A client that joined the document, as the session sees it. */
export interface SessionClient {
  readonly connectionId: string;
  readonly userId: string;
  readonly mode: 'events' | 'ot';
  send(message: ServerMessage): void;
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
  /** Called after each committed batch with its per-text ops (snapshots, presence, history). */
  readonly onCommit?: (session: DocumentSession, committed: number, textOps: ReadonlyMap<string, TextOp>) => void;
}

/** What a joining client is sent. */
export interface JoinState {
  readonly version: number;
  readonly events?: readonly Event[];
  readonly content?: Record<string, string>;
  readonly maps?: Record<string, Record<string, JsonValue>>;
}

/** What a commit tells the submitter: the server version after its events. */
export interface CommitResult {
  readonly version: number;
  readonly duplicates: number;
  readonly applied: number;
}

/** A submission merged into the replica, waiting to be stored. */
interface Prepared {
  readonly from: SessionClient | undefined;
  readonly author: string;
  readonly applied: readonly Event[];
  readonly changes: readonly AppliedChange[];
  readonly duplicates: number;
}

interface Submission {
  readonly from: SessionClient | undefined;
  readonly events: readonly Event[];
  resolve(r: CommitResult): void;
  reject(err: unknown): void;
}

/** A commit failure: the caller reports STORAGE_UNAVAILABLE; the session is no longer usable. */
export class SessionFailedError extends Error {}

/** A catch-up read from storage failed: the caller reports STORAGE_UNAVAILABLE; the session stays usable. */
export class StorageReadError extends Error {}

interface OtEntry {
  readonly version: number;
  readonly text: string;
  readonly operations: TextOp;
}

export class DocumentSession {
  readonly docId: DocId;
  private readonly doc: Doc;
  private headVersion: number;
  /** Server order of the recent events: recent[i] has version recentBase + 1 + i. */
  private readonly recent: EventId[] = [];
  private recentBase: number;
  /** Plain-OT form of recent batches, for OT clients catching up. */
  private readonly otLog: OtEntry[] = [];
  /** The OT log holds every batch after this version. */
  private otFloor: number;
  private readonly clients = new Map<string, SessionClient>();
  /** Event submissions waiting for the next group commit. */
  private readonly waiting: Submission[] = [];
  private flushScheduled = false;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;
  private readonly otWindow: number;
  private lastActivity = Date.now();
  /** Agent → the user it is bound to, as far as this session has asked the store. */
  private readonly agentUsers = new Map<string, string>();

  private constructor(
    docId: DocId,
    doc: Doc,
    head: number,
    private readonly store: DocStore,
    private readonly options: SessionOptions,
  ) {
    this.docId = docId;
    this.doc = doc;
    this.headVersion = head;
    this.recentBase = head;
    this.otFloor = head;
    this.otWindow = options.otWindow ?? 10_000;
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
    return new DocumentSession(docId, doc, head, store, options);
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
   * `since` (all on a first join); OT mode: the texts and maps at the current version.
   */
  joinClient(client: SessionClient, since: number, joined: (state: JoinState) => void): Promise<void> {
    return this.serialized(async () => {
      let state: JoinState;
      if (client.mode === 'ot') {
        state = { version: this.headVersion, content: this.texts(), maps: this.maps() };
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
      if (since <= 0) return { version: this.headVersion, events: this.doc.events() };
      if (since > this.headVersion) throw new TandemError('ERR_UNKNOWN_VERSION', `version ${since} is ahead of the server (${this.headVersion})`);
      return { version: this.headVersion, events: await this.storedAfter(since) };
    });
  }

  /** The stored events after `since`; a storage failure becomes a StorageReadError. */
  private async storedAfter(since: number): Promise<Event[]> {
    try {
      return (await this.store.loadEvents(this.docId, since)).map((s) => s.event);
    } catch (err) {
      throw new StorageReadError(`document ${this.docId} could not be read; try again (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  /** Plain-OT catch-up: the operations after `since`, or undefined if that is too far back. */
  otAfter(since: number): OtEntry[] | undefined {
    if (since > this.headVersion || since < this.otFloor) return undefined;
    return this.otLog.filter((e) => e.version > since);
  }

  /**
   * Merges, commits, acknowledges and broadcasts events from a client. Resolves with the server
   * version after them; rejects with TandemError for bad events or SessionFailedError on storage failure.
   */
  submitEvents(from: SessionClient | undefined, events: readonly Event[]): Promise<CommitResult> {
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
      if (version > this.headVersion || version < this.recentBase) {
        throw new TandemError('ERR_UNKNOWN_VERSION', `version ${version} is outside the window ${this.recentBase}..${this.headVersion}: rejoin`);
      }
      const agent = `${SERVER_AGENT_PREFIX}ot:${from.connectionId}`;
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
    const vector: Record<string, number> = { ...this.doc.vector };
    for (let i = this.recent.length - 1; i >= 0 && this.recentBase + 1 + i > v; i--) {
      const id = this.recent[i]!;
      vector[id.agent] = Math.min(vector[id.agent] ?? 0, id.seq);
    }
    return this.doc.versionFromVector(vector as VersionVector);
  }

  /**
   * `serverUser` names the user a server edit (`from` undefined) is made for; without one it is the
   * server's own.
   */
  private async commit(from: SessionClient | undefined, events: readonly Event[], serverUser?: string): Promise<CommitResult> {
    const [result] = await this.persist([await this.prepare(from, events, serverUser)]);
    return result!;
  }

  /**
   * Validates a submission and merges it into the replica (all or nothing); nothing is stored yet.
   * Throws for bad events; the replica is then unchanged.
   */
  private async prepare(from: SessionClient | undefined, events: readonly Event[], serverUser?: string): Promise<Prepared> {
    if (this.failure !== undefined) throw new SessionFailedError(`document ${this.docId} is reloading after a storage failure`);
    for (const e of events) {
      if (from !== undefined && e.id.agent.startsWith(SERVER_AGENT_PREFIX) && from.mode === 'events') {
        throw new TandemError('ERR_INVALID_EVENT', `agent ids starting with U+FFFF are reserved for the server (event ${JSON.stringify(e.id.agent)})`);
      }
    }
    const author = from?.userId ?? serverUser ?? SERVER_USER;
    await this.checkAgents(author, events);
    const result = this.doc.receive(events);
    return { from, author, applied: result.applied, changes: result.changes, duplicates: result.duplicates };
  }

  /**
   * Commits prepared submissions to storage in one append (one transaction, one disk sync), then
   * acknowledges and broadcasts each in order. If the append fails the replica is ahead of storage:
   * the session is marked failed and every submission of the group is refused.
   */
  private async persist(group: readonly Prepared[]): Promise<CommitResult[]> {
    const all = group.flatMap((p) => p.applied);
    if (all.length === 0) return group.map((p) => ({ version: this.headVersion, duplicates: p.duplicates, applied: 0 }));
    let appended: AppendResult;
    try {
      appended = await this.store.appendEvents(this.docId, all);
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      for (const c of this.clients.values()) {
        c.send({ type: 'error', code: 'STORAGE_UNAVAILABLE', message: `document ${this.docId} could not be saved; rejoin to resync`, docId: this.docId });
      }
      throw new SessionFailedError(`storage failed for document ${this.docId}: ${this.failure.message}`);
    }
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
      for (const e of p.applied) this.recent.push(e.id);
      const textOps = this.broadcast(p.from, p.author, p.applied, p.changes);
      this.options.onCommit?.(this, p.applied.length, textOps);
      results.push({ version, duplicates: p.duplicates, applied: p.applied.length });
    }
    this.headVersion = Math.max(this.headVersion, appended.head);
    if (this.recent.length > this.otWindow) {
      const drop = this.recent.length - this.otWindow;
      this.recent.splice(0, drop);
      this.recentBase += drop;
    }
    this.lastActivity = Date.now();
    return results;
  }

  /** Takes every waiting submission and commits them together (group commit). */
  private async flushSubmissions(): Promise<void> {
    this.flushScheduled = false;
    const waiting = this.waiting.splice(0);
    const prepared: { sub: Submission; p: Prepared }[] = [];
    for (const sub of waiting) {
      try {
        prepared.push({ sub, p: await this.prepare(sub.from, sub.events) });
      } catch (err) {
        sub.reject(err);
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
   * Binds the agents of the events this replica does not hold yet to `user`, and refuses the batch
   * if one of them belongs to another user. Events already held are resends (or relays) of stored
   * history and change nothing, so they are not checked.
   */
  private async checkAgents(user: string, events: readonly Event[]): Promise<void> {
    const seen = new Set<string>();
    for (const e of events) {
      const agent = e?.id?.agent;
      // Malformed events are left to the replica's validation, which names what is wrong.
      if (typeof agent !== 'string' || seen.has(agent) || typeof e.id.seq !== 'number' || this.doc.has(e.id)) continue;
      seen.add(agent);
      let bound = this.agentUsers.get(agent);
      if (bound === undefined) {
        try {
          bound = await this.store.bindAgent(this.docId, agent, user);
        } catch (err) {
          // An agent id storage cannot hold is a bad event, not a server failure.
          if (isStoreError(err, StoreErrorCode.InvalidArgument)) throw new TandemError('ERR_INVALID_EVENT', err.message);
          // Nothing was merged or stored yet, so the session stays usable: the client may resend.
          throw new StorageReadError(`document ${this.docId} could not check agent ${JSON.stringify(agent)}; try again (${err instanceof Error ? err.message : String(err)})`);
        }
        this.agentUsers.set(agent, bound);
      }
      if (bound !== user) {
        throw new PermissionError(
          'PERMISSION_DENIED',
          `agent ${JSON.stringify(agent)} of document ${JSON.stringify(this.docId)} belongs to another user; user ${JSON.stringify(user)} may not send events under it`,
          { doc: this.docId, user },
        );
      }
    }
  }

  private broadcast(from: SessionClient | undefined, userId: string, events: readonly Event[], changes: readonly AppliedChange[]): Map<string, TextOp> {
    const perText = new Map<string, TextOp>();
    for (const c of changes) {
      if (c.type !== 'text') continue;
      const prev = perText.get(c.name);
      perText.set(c.name, prev === undefined ? c.op : compose(prev, c.op));
    }
    for (const [text, operations] of perText) {
      this.otLog.push({ version: this.headVersion, text, operations });
    }
    if (this.otLog.length > this.otWindow) {
      const dropped = this.otLog.splice(0, this.otLog.length - this.otWindow);
      this.otFloor = dropped[dropped.length - 1]!.version;
    }
    for (const c of this.clients.values()) {
      if (c === from || (from !== undefined && c.connectionId === from.connectionId)) continue;
      if (c.mode === 'events') {
        c.send({ type: 'remote_operation', docId: this.docId, version: this.headVersion, userId, events });
      } else {
        for (const [text, operations] of perText) {
          if (!isNoop(operations)) c.send({ type: 'remote_operation', docId: this.docId, version: this.headVersion, userId, text, operations });
        }
      }
    }
    return perText;
  }

  /** The encoded replica and the server version it stands for, consistent with each other. */
  snapshot(): Promise<{ version: number; bytes: Uint8Array }> {
    return this.serialized(async () => ({ version: this.headVersion, bytes: this.doc.encode() }));
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
