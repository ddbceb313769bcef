/**
 * VersionReplayer rebuilds a document as it was at an earlier server version. The events of a
 * document are stored in server order, which is a causal order, so the events with version <= v are
 * exactly the document at v: replaying them into a fresh replica gives its texts and maps.
 *
 * Replaying from the start each time would cost the whole history per request, so the replayer
 * keeps, per document, the replica it last built (its "cursor") and moves it forward when asked
 * for a later version; it starts from the document's stored snapshot when that is much closer; and
 * it caches recent results, which never change (history is immutable).
 */
import { Doc } from '@tandem/core';
import type { DocId, Event, JsonValue } from '@tandem/core';
import { KeyedLock } from '../auth/keyed-lock.js';
import type { DocStore } from '../storage/doc-store.js';
import { SERVER_AGENT_PREFIX } from '../sync/document-session.js';

/** The texts and maps of a document at a server version. */
export interface VersionState {
  readonly version: number;
  readonly texts: Readonly<Record<string, string>>;
  readonly maps: Readonly<Record<string, Record<string, JsonValue>>>;
}

export interface ReplayerOptions {
  /** Documents whose cursor replica is kept (each holds a whole document in memory). */
  readonly maxCursors?: number;
  /** Results kept. */
  readonly maxResults?: number;
  /** Start from the stored snapshot only when it saves at least this many events of replay. */
  readonly snapshotWorth?: number;
}

/** Replicas built here never edit; the agent only has to be one no client may use. */
const REPLAY_AGENT = `${SERVER_AGENT_PREFIX}history`;
const PAGE = 10_000;

interface Cursor {
  readonly replica: Doc;
  readonly version: number;
}

/** Texts and maps of a replica, in objects without a prototype ("__proto__" is a fine text name). */
export function stateOf(replica: Doc, version: number): VersionState {
  const texts = Object.create(null) as Record<string, string>;
  for (const name of replica.textNames()) texts[name] = replica.getText(name);
  const maps = Object.create(null) as Record<string, Record<string, JsonValue>>;
  for (const name of replica.mapNames()) {
    const m = Object.create(null) as Record<string, JsonValue>;
    for (const [k, v] of replica.getMap(name)) m[k] = v;
    maps[name] = m;
  }
  return { version, texts, maps };
}

export class VersionReplayer {
  private readonly cursors = new Map<DocId, Cursor>();
  private readonly results = new Map<string, VersionState>();
  /** One user of a document's cursor at a time: replicas are mutable. */
  private readonly lock = new KeyedLock();
  private readonly maxCursors: number;
  private readonly maxResults: number;
  private readonly snapshotWorth: number;

  constructor(
    private readonly store: DocStore,
    options: ReplayerOptions = {},
  ) {
    this.maxCursors = options.maxCursors ?? 8;
    this.maxResults = options.maxResults ?? 64;
    this.snapshotWorth = options.snapshotWorth ?? 1_000;
  }

  /** The document at version `v`, which the caller has checked exists (0 <= v <= head). */
  async stateAt(doc: DocId, v: number): Promise<VersionState> {
    const key = `${doc}\u0000${v}`;
    const cached = this.results.get(key);
    if (cached !== undefined) {
      this.results.delete(key);
      this.results.set(key, cached);
      return cached;
    }
    const state = await this.withReplica(doc, v, async (replica) => ({ result: stateOf(replica, v), version: v }));
    this.results.set(key, state);
    while (this.results.size > this.maxResults) this.results.delete(this.results.keys().next().value as string);
    return state;
  }

  /**
   * Runs `use` with a replica at version `from`. `use` may move it forward with `advance` (events in
   * server order) and reports the version it left it at; the replica is then kept as the cursor.
   */
  withReplica<T>(doc: DocId, from: number, use: (replica: Doc) => Promise<{ result: T; version: number }>): Promise<T> {
    return this.lock.run(doc, async () => {
      // Taken out while in use: if anything fails half-way, the replica's version is unknown.
      const cursor = this.cursors.get(doc);
      this.cursors.delete(doc);
      const replica = await this.replicaAt(doc, from, cursor);
      const { result, version } = await use(replica);
      this.cursors.set(doc, { replica, version });
      while (this.cursors.size > this.maxCursors) this.cursors.delete(this.cursors.keys().next().value as DocId);
      return result;
    });
  }

  /** Calls `each` with the stored events in (after, upTo], a page at a time, in server order. */
  async forEachPage(doc: DocId, after: number, upTo: number, each: (events: readonly Event[]) => Promise<void> | void): Promise<void> {
    let at = after;
    while (at < upTo) {
      const page = await this.store.loadEvents(doc, at, Math.min(PAGE, upTo - at));
      if (page.length === 0) throw new Error(`document ${JSON.stringify(doc)} has no events after version ${at}, expected up to ${upTo}`);
      await each(page.map((s) => s.event));
      at = page[page.length - 1]!.version;
    }
  }

  private async replicaAt(doc: DocId, v: number, cursor: Cursor | undefined): Promise<Doc> {
    let replica: Doc;
    let at: number;
    if (cursor !== undefined && cursor.version <= v) {
      replica = cursor.replica;
      at = cursor.version;
    } else {
      replica = new Doc({ agent: REPLAY_AGENT });
      at = 0;
    }
    if (v - at >= this.snapshotWorth) {
      const snapshot = await this.store.loadSnapshot(doc);
      if (snapshot !== undefined && snapshot.version <= v && snapshot.version - at >= this.snapshotWorth) {
        replica = Doc.decode(snapshot.bytes, { agent: REPLAY_AGENT });
        at = snapshot.version;
      }
    }
    // Stored events were validated when they were accepted.
    await this.forEachPage(doc, at, v, (events) => void replica.receive(events, { validate: false }));
    return replica;
  }
}
