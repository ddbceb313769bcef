/**
 * DocumentRegistry owns the documents open on this server: it loads each at most once (concurrent
 * joins share one load), hands out the live session, replaces a session that failed to commit by a
 * fresh load from storage, and closes sessions nobody has used for a while. Hooks around a load and
 * a close let a cluster node follow the documents it has open (see cluster/doc-follower.ts).
 */
import type { Doc, DocId } from '@tandem/core';
import type { DocStore } from '../storage/doc-store.js';
import { DocumentSession } from './document-session.js';
import type { SessionOptions } from './document-session.js';

export interface RegistryOptions extends SessionOptions {
  /** Builds a replica from snapshot bytes. */
  readonly decode: (bytes: Uint8Array, agent: string) => Doc;
  /** Close a session this long after its last client left. */
  readonly idleMs: number;
  /**
   * Awaited before a document is loaded: a cluster node subscribes to its commit notices here, so
   * that no commit of another node falls between the load and the subscription.
   */
  readonly beforeLoad?: (docId: DocId) => Promise<void>;
  /** A session was loaded and is now served (a cluster node catches up what the load raced with). */
  readonly onLoaded?: (session: DocumentSession) => void;
  /** A session was closed (idle); nothing of this document is open any more. */
  readonly onClosed?: (docId: DocId) => void;
}

export class DocumentRegistry {
  private readonly sessions = new Map<DocId, DocumentSession>();
  private readonly loading = new Map<DocId, Promise<DocumentSession>>();

  constructor(
    private readonly store: DocStore,
    private readonly options: RegistryOptions,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** The open session of a document, loading it if needed. Rejects if storage cannot load it. */
  open(docId: DocId): Promise<DocumentSession> {
    const live = this.sessions.get(docId);
    if (live !== undefined && live.failed === undefined) return Promise.resolve(live);
    if (live !== undefined) this.sessions.delete(docId);
    let pending = this.loading.get(docId);
    if (pending === undefined) {
      const ready = this.options.beforeLoad?.(docId) ?? Promise.resolve();
      pending = ready.then(() => DocumentSession.load(docId, this.store, this.options, this.options.decode)).then(
        (session) => {
          this.loading.delete(docId);
          this.sessions.set(docId, session);
          this.options.onLoaded?.(session);
          return session;
        },
        (err: unknown) => {
          this.loading.delete(docId);
          throw err;
        },
      );
      this.loading.set(docId, pending);
    }
    return pending;
  }

  get(docId: DocId): DocumentSession | undefined {
    const s = this.sessions.get(docId);
    return s !== undefined && s.failed === undefined ? s : undefined;
  }

  all(): DocumentSession[] {
    return [...this.sessions.values()];
  }

  /** Closes sessions with no clients for longer than the idle time. */
  async sweep(now: number): Promise<void> {
    for (const [id, s] of this.sessions) {
      if (s.clientCount === 0 && now - s.idleSince > this.options.idleMs) {
        this.sessions.delete(id);
        // Before any await: a new open of the document subscribes again after this unsubscribes.
        this.options.onClosed?.(id);
        await s.drain();
      }
    }
  }

  /** Waits for every queued write to finish (clean shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.loading.values()]);
    await Promise.all([...this.sessions.values()].map((s) => s.drain()));
  }
}
