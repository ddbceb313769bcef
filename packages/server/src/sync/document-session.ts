/**
 * DocumentSession owns one open document on this server: its replica (a core `Doc`), its server
 * version (the number of events stored for it), the clients that joined it, and the order of writes.
 *
 * Writes are serialized per document. An event batch is first merged into the replica (which
 * validates it and leaves everything untouched on error), then committed to storage, and only then
 * acknowledged and broadcast: nothing acknowledged is ever lost. If the commit fails, the replica is
 * ahead of storage, so the session is marked failed and the registry drops it; clients rejoin and
 * resend their unacknowledged events, which is safe because events are deduplicated by id.
 */
import { Doc, TandemError, compose, isNoop } from '@tandem/core';
import type { AppliedChange, DocId, Event, EventId, JsonValue, TextOp, VersionVector } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import type { DocStore } from '../storage/doc-store.js';

/** A client that joined the document, as the session sees it. */
export interface SessionClient {
  readonly connectionId: string;
  readonly userId: string;
  readonly mode: 'events' | 'ot';
  send(message: ServerMessage): void;
}

/** Agents made by the server start with this character, which sorts after every other; clients may not use it. */
export const SERVER_AGENT_PREFIX = '\uffff';

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

/** A commit failure: the caller reports STORAGE_UNAVAILABLE; the session is no longer usable. */
export class SessionFailedError extends Error {}

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
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;
  private readonly otWindow: number;
  private lastActivity = Date.now();

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
        const stored = await this.store.loadEvents(this.docId, since);
        state = { version: this.headVersion, events: stored.map((s) => s.event) };
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
      const stored = await this.store.loadEvents(this.docId, since);
      return { version: this.headVersion, events: stored.map((s) => s.event) };
    });
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
  submitEvents(from: SessionClient | undefined, events: readonly Event[]): Promise<{ version: number; duplicates: number; applied: number }> {
    return this.serialized(() => this.commit(from, events));
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

  /** An edit made by the server itself (REST write, restore), as the server agent. */
  submitServerEdit(name: string, op: TextOp): Promise<{ version: number }> {
    return this.serialized(async () => {
      const seq = this.doc.vector[this.options.serverAgent] ?? 0;
      const event: Event = {
        id: { agent: this.options.serverAgent as EventId['agent'], seq },
        parents: this.doc.version,
        change: { type: 'text', name, op },
      };
      const r = await this.commit(undefined, [event]);
      return { version: r.version };
    });
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

  private async commit(from: SessionClient | undefined, events: readonly Event[]): Promise<{ version: number; duplicates: number; applied: number }> {
    if (this.failure !== undefined) throw new SessionFailedError(`document ${this.docId} is reloading after a storage failure`);
    for (const e of events) {
      if (from !== undefined && e.id.agent.startsWith(SERVER_AGENT_PREFIX) && from.mode === 'events') {
        throw new TandemError('ERR_INVALID_EVENT', `agent ids starting with U+FFFF are reserved for the server (event ${JSON.stringify(e.id.agent)})`);
      }
    }
    const result = this.doc.receive(events);
    if (result.applied.length === 0) return { version: this.headVersion, duplicates: result.duplicates, applied: 0 };
    let head: number;
    try {
      const appended = await this.store.appendEvents(this.docId, result.applied);
      head = appended.head;
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      for (const c of this.clients.values()) {
        c.send({ type: 'error', code: 'STORAGE_UNAVAILABLE', message: `document ${this.docId} could not be saved; rejoin to resync`, docId: this.docId });
      }
      throw new SessionFailedError(`storage failed for document ${this.docId}: ${this.failure.message}`);
    }
    this.headVersion = head;
    for (const e of result.applied) this.recent.push(e.id);
    if (this.recent.length > this.otWindow) {
      const drop = this.recent.length - this.otWindow;
      this.recent.splice(0, drop);
      this.recentBase += drop;
    }
    const textOps = this.broadcast(from, result.applied, result.changes);
    this.lastActivity = Date.now();
    this.options.onCommit?.(this, result.applied.length, textOps);
    return { version: this.headVersion, duplicates: result.duplicates, applied: result.applied.length };
  }

  private broadcast(from: SessionClient | undefined, events: readonly Event[], changes: readonly AppliedChange[]): Map<string, TextOp> {
    const userId = from?.userId ?? 'server';
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
