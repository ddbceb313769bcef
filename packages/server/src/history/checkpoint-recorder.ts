/**
 * CheckpointRecorder takes the automatic checkpoints of version history: while a document is being
 * edited it marks a version every `checkpointEvents` events, or once `checkpointMs` have passed since
 * the first edit after the last checkpoint (whichever comes first), with the users whose events lie
 * in between. Commits only count and schedule; the work (reading those events, writing the
 * checkpoint) runs behind them, one document at a time, and a failure is logged, never surfaced to
 * the writer: checkpoints are a convenience on top of the event log, which keeps every version.
 */
import type { DocId } from '@tandem/core';
import type { Logger } from 'pino';
import type { HistoryConfig } from '../config.js';
import type { DocStore } from '../storage/doc-store.js';
import type { AgentDirectory } from './agent-directory.js';

export interface RecorderDeps {
  readonly store: DocStore;
  readonly agents: AgentDirectory;
  readonly config: HistoryConfig;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** The edits of one document since its last checkpoint. */
interface Window {
  /** Version of the last checkpoint; undefined until read from storage. */
  last: number | undefined;
  /** The newest committed version seen. */
  head: number;
  /** When the first edit after the last checkpoint was committed; undefined when there was none. */
  startedAt: number | undefined;
  /** The work queued for this document. */
  chain: Promise<void>;
}

export class CheckpointRecorder {
  private readonly windows = new Map<DocId, Window>();
  private readonly now: () => number;

  constructor(private readonly deps: RecorderDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** A batch was committed: the document is now at `version`. */
  onCommit(doc: DocId, version: number): void {
    let w = this.windows.get(doc);
    if (w === undefined) {
      w = { last: undefined, head: version, startedAt: undefined, chain: Promise.resolve() };
      this.windows.set(doc, w);
    }
    w.head = Math.max(w.head, version);
    w.startedAt ??= this.now();
    this.schedule(doc, w, false);
  }

  /** Checks the time rule for documents that went quiet; called periodically. */
  tick(): void {
    for (const [doc, w] of this.windows) {
      if (w.startedAt === undefined) {
        // Nothing pending: forget the document (its last checkpoint is re-read if it comes back).
        this.windows.delete(doc);
      } else {
        this.schedule(doc, w, false);
      }
    }
  }

  /** Checkpoints every pending window (clean shutdown), then waits for all work. */
  async flush(): Promise<void> {
    for (const [doc, w] of this.windows) if (w.startedAt !== undefined) this.schedule(doc, w, true);
    await this.whenIdle();
  }

  /** Resolves once the work queued so far has finished (tests, shutdown). */
  async whenIdle(): Promise<void> {
    await Promise.all([...this.windows.values()].map((w) => w.chain));
  }

  private schedule(doc: DocId, w: Window, force: boolean): void {
    w.chain = w.chain
      .then(() => this.maybeCheckpoint(doc, w, force))
      .catch((err: unknown) => this.deps.logger.warn({ err, docId: doc }, 'history checkpoint failed (the event log is intact)'));
  }

  private async maybeCheckpoint(doc: DocId, w: Window, force: boolean): Promise<void> {
    if (w.last === undefined) {
      const stored = await this.deps.store.listCheckpoints(doc);
      w.last = stored[stored.length - 1]?.version ?? 0;
    }
    const { checkpointEvents, checkpointMs } = this.deps.config;
    const pending = w.head - w.last;
    if (pending <= 0) {
      w.startedAt = undefined;
      return;
    }
    const byCount = checkpointEvents > 0 && pending >= checkpointEvents;
    const byTime = checkpointMs > 0 && w.startedAt !== undefined && this.now() - w.startedAt >= checkpointMs;
    if (!force && !byCount && !byTime) return;
    const version = w.head;
    const authors = await this.authorsBetween(doc, w.last, version);
    await this.deps.store.addCheckpoint(doc, { version, createdAt: this.now(), authors });
    w.last = version;
    // Commits that arrived while this ran open the next window now.
    w.startedAt = w.head > version ? this.now() : undefined;
  }

  /** The users whose events have versions in (after, upTo]. */
  private async authorsBetween(doc: DocId, after: number, upTo: number): Promise<string[]> {
    const agents = new Set<string>();
    for (const s of await this.deps.store.loadEvents(doc, after, upTo - after)) agents.add(s.event.id.agent);
    const userOf = await this.deps.agents.resolver(doc, agents);
    return [...new Set([...agents].map(userOf))].sort();
  }
}
