/**
 * HistoryService is version history for the rest of the server: automatic checkpoints (through the
 * CheckpointRecorder), named versions, the document at any server version, the attributed diff
 * between two versions, the list of revisions, and restore. Permission checks are the caller's;
 * everything here assumes the caller may read (or, for naming and restoring, edit) the document.
 */
import type { DocId } from '@tandem/core';
import type { Logger } from 'pino';
import type { HistoryConfig } from '../config.js';
import type { DocStore, NamedVersion } from '../storage/doc-store.js';
import { MAX_TEXT_LENGTH } from '../storage/store-input.js';
import type { DocumentRegistry } from '../sync/document-registry.js';
import type { DocumentSession } from '../sync/document-session.js';
import { AgentDirectory } from './agent-directory.js';
import { AttributionTracker } from './attribution-tracker.js';
import type { DiffSegment } from './attribution-tracker.js';
import { CheckpointRecorder } from './checkpoint-recorder.js';
import { HistoryError } from './history-error.js';
import { minimalEdit } from './text-diff.js';
import { VersionReplayer } from './version-replayer.js';
import type { VersionState } from './version-replayer.js';

export interface HistoryServiceOptions {
  readonly store: DocStore;
  readonly registry: DocumentRegistry;
  readonly config: HistoryConfig;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** One entry of a document's history list. */
export type Revision =
  | { readonly kind: 'named'; readonly version: number; readonly name: string; readonly createdBy: string; readonly createdAt: number }
  | { readonly kind: 'checkpoint'; readonly version: number; readonly createdAt: number; readonly authors: readonly string[] };

export interface AttributedDiff {
  readonly from: number;
  readonly to: number;
  /** The text the diff is about. */
  readonly text: string;
  readonly segments: readonly DiffSegment[];
}

export class HistoryService {
  private readonly store: DocStore;
  private readonly registry: DocumentRegistry;
  private readonly agents: AgentDirectory;
  private readonly replayer: VersionReplayer;
  private readonly recorder: CheckpointRecorder;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(options: HistoryServiceOptions) {
    this.store = options.store;
    this.registry = options.registry;
    this.now = options.now ?? Date.now;
    this.agents = new AgentDirectory(options.store);
    this.replayer = new VersionReplayer(options.store);
    this.recorder = new CheckpointRecorder({ store: options.store, agents: this.agents, config: options.config, logger: options.logger, now: this.now });
    // The time rule must fire for a document that went quiet, without waiting for its next edit.
    const every = Math.max(1_000, Math.min(30_000, Math.floor(options.config.checkpointMs / 4) || 30_000));
    this.timer = setInterval(() => this.recorder.tick(), every);
    this.timer.unref();
  }

  /** Called by the session after each committed batch. */
  onCommit(session: DocumentSession): void {
    this.recorder.onCommit(session.docId, session.version);
  }

  /** The document's current server version (the open session's, else storage's). */
  async head(doc: DocId): Promise<number> {
    return this.registry.get(doc)?.version ?? this.store.head(doc);
  }

  /** Checkpoints and named versions, newest first (a named version before a checkpoint at the same version). */
  async revisions(doc: DocId, options: { before?: number; limit?: number } = {}): Promise<Revision[]> {
    const [named, checkpoints] = await Promise.all([this.store.listNamedVersions(doc), this.store.listCheckpoints(doc)]);
    const all: Revision[] = [
      ...named.map((n): Revision => ({ kind: 'named', version: n.version, name: n.name, createdBy: n.createdBy, createdAt: n.createdAt })),
      ...checkpoints.map((c): Revision => ({ kind: 'checkpoint', version: c.version, createdAt: c.createdAt, authors: c.authors })),
    ];
    all.sort((a, b) => b.version - a.version || (a.kind === b.kind ? 0 : a.kind === 'named' ? -1 : 1));
    const before = options.before;
    const kept = before === undefined ? all : all.filter((r) => r.version < before);
    return kept.slice(0, options.limit ?? kept.length);
  }

  /** Names a version (the current one by default); naming it again renames it. Named versions are kept forever. */
  async nameVersion(doc: DocId, name: string, by: string, version?: number): Promise<NamedVersion> {
    if (typeof name !== 'string' || name.trim().length === 0 || name.length > MAX_TEXT_LENGTH) {
      throw new HistoryError('BAD_REQUEST', `a version name must be a non-blank string of at most ${MAX_TEXT_LENGTH} characters, got ${JSON.stringify(name)?.slice(0, 60)}`);
    }
    const v = await this.checkVersion(doc, version ?? (await this.head(doc)));
    const named: NamedVersion = { version: v, name, createdBy: by, createdAt: this.now() };
    await this.store.nameVersion(doc, named);
    return named;
  }

  /** The document's texts and maps at server version `v`. */
  async stateAt(doc: DocId, v: number): Promise<VersionState> {
    await this.checkVersion(doc, v);
    const live = this.registry.get(doc);
    if (live !== undefined && live.version === v) {
      const state = await live.state();
      // The session may have moved on while we waited for its write queue.
      if (state.version === v) return state;
    }
    return this.replayer.stateAt(doc, v);
  }

  /**
   * What changed in text `textName` from version `from` to version `to`, and who did it: the events
   * in between are replayed on top of the older text one at a time, each event's changes credited
   * to the user its agent belongs to.
   */
  async diff(doc: DocId, from: number, to: number, textName: string): Promise<AttributedDiff> {
    await this.checkVersion(doc, from);
    await this.checkVersion(doc, to);
    if (from > to) throw new HistoryError('BAD_REQUEST', `diff needs from <= to, got from=${from} to=${to}`);
    return this.replayer.withReplica(doc, from, async (replica) => {
      const tracker = new AttributionTracker(replica.getText(textName));
      await this.replayer.forEachPage(doc, from, to, async (events) => {
        const userOf = await this.agents.resolver(doc, new Set(events.map((e) => e.id.agent)));
        for (const e of events) {
          const author = userOf(e.id.agent);
          for (const c of replica.receive([e], { validate: false }).changes) {
            if (c.type === 'text' && c.name === textName) tracker.apply(c.op, author);
          }
        }
      });
      return { result: { from, to, text: textName, segments: tracker.segments() }, version: to };
    });
  }

  /**
   * Brings the texts back to what they were at version `v`, as one new server edit made for `by`
   * (a minimal change per text, so concurrent work elsewhere survives). History is kept: the restore
   * is a new version. Maps are left as they are.
   */
  async restore(doc: DocId, v: number, by: string): Promise<{ version: number; restoredFrom: number; changed: boolean }> {
    const old = await this.stateAt(doc, v);
    const session = await this.registry.open(doc);
    const r = await session.editServerTexts(by, (current) => {
      const ops = new Map<string, ReturnType<typeof minimalEdit>>();
      for (const name of new Set([...Object.keys(current), ...Object.keys(old.texts)])) {
        const op = minimalEdit(current[name] ?? '', old.texts[name] ?? '');
        if (op.length > 0) ops.set(name, op);
      }
      return ops;
    });
    return { version: r.version, restoredFrom: v, changed: r.applied > 0 };
  }

  /** Resolves once queued checkpoint work is done (tests). */
  whenIdle(): Promise<void> {
    return this.recorder.whenIdle();
  }

  /** Stops the timer and writes the checkpoints of pending edits (clean shutdown, before storage closes). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.recorder.flush();
  }

  private async checkVersion(doc: DocId, v: number): Promise<number> {
    if (!Number.isSafeInteger(v) || v < 0) throw new HistoryError('BAD_REQUEST', `a version must be a non-negative integer, got ${String(v)}`);
    const head = await this.head(doc);
    if (v > head) throw new HistoryError('VERSION_NOT_FOUND', `document ${JSON.stringify(doc)} has no version ${v}; its latest is ${head}`);
    return v;
  }
}
