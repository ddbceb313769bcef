/**
 * DocumentPersistence owns the writes of one document to the offline store. Unacknowledged events
 * are written as soon as possible — a burst of edits in one tick becomes one write, and while a
 * write runs further changes wait and go out together in the next — because an edit is only safe
 * from a crash once it is on disk. The last known server state is bulkier and only saves a
 * download, so it is written at most once per `stateDelayMs`. Without a store every call is a no-op.
 */
import type { Event } from '@tandem/core';
import type { ClientStorage, ServerState } from '../storage/client-storage.js';
import { Timer } from '../util/timer.js';

export interface PersistenceSource {
  /** The unacknowledged events, oldest first. */
  pending(): readonly Event[];
  /** The state to save as the last known server state. */
  serverState(): ServerState;
}

export class DocumentPersistence {
  private pendingDirty = false;
  private pendingScheduled = false;
  private pendingWrite: Promise<void> | undefined;
  private stateWrite: Promise<void> | undefined;
  private stateDirty = false;
  private readonly stateTimer = new Timer();
  private closed = false;

  constructor(
    private readonly storage: ClientStorage | undefined,
    private readonly docId: string,
    private readonly source: PersistenceSource,
    private readonly stateDelayMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  /** The unacknowledged events changed: write them soon (coalesced). */
  pendingChanged(): void {
    if (this.closed || this.storage === undefined) return;
    this.pendingDirty = true;
    if (this.pendingScheduled || this.pendingWrite !== undefined) return;
    this.pendingScheduled = true;
    // A microtask: every change made in the same tick lands in the one write.
    queueMicrotask(() => {
      this.pendingScheduled = false;
      void this.writePending();
    });
  }

  /** The server state moved: write it within `stateDelayMs` (changes meanwhile ride along). */
  stateChanged(): void {
    if (this.closed || this.storage === undefined) return;
    this.stateDirty = true;
    this.stateTimer.ensure(this.stateDelayMs, () => void this.writeState());
  }

  /** Writes whatever is outstanding now and waits for it. */
  async flush(): Promise<void> {
    this.stateTimer.clear();
    // Bounded: a store that keeps failing reports through onError instead of hanging the caller.
    for (let round = 0; round < 3 && (this.pendingWrite !== undefined || this.stateWrite !== undefined || this.pendingDirty || this.stateDirty); round++) {
      if (this.pendingWrite === undefined && this.pendingDirty) void this.writePending();
      if (this.stateWrite === undefined && this.stateDirty) void this.writeState();
      await Promise.all([this.pendingWrite, this.stateWrite]);
    }
  }

  /** Flushes, then ignores further changes. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private writePending(): Promise<void> {
    if (this.pendingWrite !== undefined) return this.pendingWrite;
    this.pendingDirty = false;
    const storage = this.storage;
    if (storage === undefined) return Promise.resolve();
    const events = this.source.pending();
    this.pendingWrite = storage
      .savePending(this.docId, events)
      .catch((err: unknown) => {
        // Kept dirty so the next change (or flush) tries again.
        this.pendingDirty = true;
        this.onError(new Error(`could not save unsent edits of ${this.docId}: ${err instanceof Error ? err.message : String(err)}`));
      })
      .finally(() => {
        this.pendingWrite = undefined;
        if (this.pendingDirty && !this.closed) this.pendingChanged();
      });
    return this.pendingWrite;
  }

  private writeState(): Promise<void> {
    if (this.stateWrite !== undefined) return this.stateWrite;
    this.stateDirty = false;
    const storage = this.storage;
    if (storage === undefined) return Promise.resolve();
    let state: ServerState;
    try {
      state = this.source.serverState();
    } catch (err) {
      this.onError(err instanceof Error ? err : new Error(String(err)));
      return Promise.resolve();
    }
    this.stateWrite = storage
      .saveServerState(this.docId, state)
      .catch((err: unknown) => {
        this.onError(new Error(`could not save the server state of ${this.docId}: ${err instanceof Error ? err.message : String(err)}`));
      })
      .finally(() => {
        this.stateWrite = undefined;
      });
    return this.stateWrite;
  }
}
