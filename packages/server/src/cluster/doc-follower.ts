/**
 * DocFollower keeps the documents open on this node in step with the other nodes. It announces
 * each local commit (`{docId, head}`) and, when another node announces one, has the session catch
 * up from storage: the database is the source of truth, so notices carry no events, and a lost
 * notice only delays delivery. The bus being down is covered three ways: commits that could not be
 * announced are announced when it is back; open documents are caught up from storage every
 * `pollMs` meanwhile; and on reconnecting every open document catches up once (notices published
 * while this node was not listening are gone).
 */
import type { DocId } from '@tandem/core';
import type { Logger } from 'pino';
import type { DocumentRegistry } from '../sync/document-registry.js';
import type { DocumentSession } from '../sync/document-session.js';
import type { ClusterBus, CommitNotice } from './cluster-bus.js';

export interface DocFollowerOptions {
  readonly bus: ClusterBus;
  readonly logger: Logger;
  readonly pollMs: number;
}

export class DocFollower {
  private registryRef: DocumentRegistry | undefined;
  /** Heads to announce: commits made while a notice for the document was in flight or failed. */
  private readonly toAnnounce = new Map<string, number>();
  private readonly announcing = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(private readonly options: DocFollowerOptions) {
    this.timer = setInterval(() => this.poll(), options.pollMs);
    this.timer.unref();
  }

  /** The registry is built with this follower's hooks, so it is attached afterwards. */
  attach(registry: DocumentRegistry): void {
    this.registryRef = registry;
  }

  /** Registry hook: subscribe before loading, so no commit falls between the load and the subscription. */
  beforeLoad(docId: string): Promise<void> {
    return this.options.bus.watchDoc(docId);
  }

  /** Registry hook: a commit may have landed between the subscription and the end of the load. */
  loaded(session: DocumentSession): void {
    this.follow(session, session.catchUp());
  }

  closed(docId: string): void {
    this.options.bus.unwatchDoc(docId);
  }

  /** A local commit: tell the other nodes. One notice in flight per document; the latest head wins. */
  committed(docId: string, head: number): void {
    this.toAnnounce.set(docId, Math.max(head, this.toAnnounce.get(docId) ?? 0));
    this.announce(docId);
  }

  private announce(docId: string): void {
    const head = this.toAnnounce.get(docId);
    if (head === undefined || this.announcing.has(docId) || !this.options.bus.healthy) return;
    this.toAnnounce.delete(docId);
    this.announcing.add(docId);
    void this.options.bus.publishCommit(docId, head).then((sent) => {
      this.announcing.delete(docId);
      // Kept for later when the bus is down: announced again once it is back.
      if (!sent) this.toAnnounce.set(docId, Math.max(head, this.toAnnounce.get(docId) ?? 0));
      else this.announce(docId);
    });
  }

  /** Another node's commit. */
  onNotice(notice: CommitNotice): void {
    const session = this.registryRef?.get(notice.docId as DocId);
    if (session !== undefined) this.follow(session, session.noteRemoteHead(notice.head));
  }

  /** The bus is back (true) or lost (false). */
  onHealth(healthy: boolean): void {
    if (!healthy) return;
    for (const docId of [...this.toAnnounce.keys()]) this.announce(docId);
    this.catchUpAll();
  }

  private poll(): void {
    if (this.options.bus.healthy || this.polling) return;
    this.polling = true;
    void Promise.allSettled(this.catchUpAll()).finally(() => {
      this.polling = false;
    });
  }

  private catchUpAll(): Promise<void>[] {
    return (this.registryRef?.all() ?? []).filter((s) => s.failed === undefined).map((s) => this.follow(s, s.catchUp()));
  }

  private follow(session: DocumentSession, done: Promise<void>): Promise<void> {
    return done.catch((err: unknown) => {
      // The next notice, poll or reconnect tries again; edits are never lost by a failed read.
      this.options.logger.warn({ err, docId: session.docId }, 'catching up from storage failed');
    });
  }

  close(): void {
    clearInterval(this.timer);
  }
}
