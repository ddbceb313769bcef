/**
 * DocumentSync owns the sync protocol of one open document (events mode): joining the server's
 * session with `since` = the last server version this replica saw, taking in the events the server
 * sends, sending local edits in batches and keeping them until acknowledged, resending everything
 * unacknowledged after a reconnect, and recovering when the server and this replica disagree
 * (MISSING_PARENTS, a `since` the server no longer knows, a storage failure on the server).
 *
 * The replicas themselves (what the app sees, and what the server confirmed) are a ReplicaPair.
 */
import { isTandemError, type Doc, type Event } from '@tandem/core';
import { decodeBase64, ErrorCode } from '@tandem/protocol';
import type { ErrorMessage, Level, PresencePeer, PresenceState, ServerMessage } from '@tandem/protocol';
import { Emitter } from '../util/emitter.js';
import { soon } from '../util/soon.js';
import { Timer } from '../util/timer.js';
import { Outbox, eventKey, type OutboxEntry, type OutboxSource } from './outbox.js';
import type { ReplicaPair } from './replica-pair.js';
import type { MergeReport, SyncEvents, SyncLink, SyncSettings } from './sync-types.js';

export type { MergeReport, SyncEvents, SyncLink, SyncSettings } from './sync-types.js';

/** Error codes after which resending the same events can never succeed. */
const REFUSED: ReadonlySet<string> = new Set([ErrorCode.ConflictingEvent, ErrorCode.InvalidOperation, ErrorCode.PermissionDenied, ErrorCode.LimitExceeded, ErrorCode.BadMessage]);

export class DocumentSync extends Emitter<SyncEvents> {
  private readonly replicas: ReplicaPair;
  private readonly outbox = new Outbox();
  private version: number;
  private state: 'idle' | 'joining' | 'joined' = 'idle';
  private everJoined = false;
  private level: Level | undefined;
  private inFlight: string | undefined;
  private flushScheduled = false;
  /** Set when sending can never succeed (refused events): kept, reported, not retried. */
  private refused: Error | undefined;
  private missingParentsStrikes = 0;
  /** Next `session_joined` / `sync` replaces the confirmed replica (the server lost what we thought it had). */
  private fullResync = false;
  /** The server sent a snapshot that could not be read: later joins take events instead. */
  private snapshotFailed = false;
  private lastSynced: number | undefined;
  private inSync = false;
  private readonly retryTimer = new Timer();
  private readonly ackTimer = new Timer();
  private readonly tabTimer = new Timer();
  /** The user whose events are being applied right now (for cursor bias), if known. */
  private author: string | undefined;
  /**
   * Remote events received and not applied yet: everything that arrives before the network input
   * already waiting has been read. A burst of `remote_operation`s (a busy document, a reconnect, a
   * tab waking up) is merged in one batch, which costs far less than one merge per message — the
   * more so while local edits are unacknowledged, when each merge replays everything since. Any
   * other message applies them first, so order is kept.
   */
  private incoming: { events: Event[]; version: number; author: string | undefined } | undefined;
  /**
   * Keys of events received from peers (peer-to-peer) that the server has not confirmed yet.
   * They are never sent to the server by us (their author does: the server binds agents to
   * users), and our own events that depend on them wait until the server has them.
   */
  private readonly fromPeers = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    readonly docId: string,
    init: { readonly replicas: ReplicaPair; readonly serverVersion: number; readonly restored: readonly Event[] },
    private readonly link: SyncLink,
    private readonly settings: SyncSettings,
    private readonly presenceForJoin: () => PresenceState | undefined,
    private readonly joinLink: string | undefined,
  ) {
    super();
    this.replicas = init.replicas;
    this.version = init.serverVersion;
    const at = settings.monotonic();
    for (const e of init.restored) this.outbox.add(e, 'restored', at);
    this.unsubscribe = this.doc.subscribe((_changes, origin, events) => {
      if (origin !== 'remote') this.addLocal(events);
    });
  }

  /** The replica the app reads and edits. */
  get doc(): Doc {
    return this.replicas.local;
  }

  /** The last server version this replica has everything up to. */
  get serverVersion(): number {
    return this.version;
  }

  get pendingCount(): number {
    return this.outbox.size;
  }

  get joined(): boolean {
    return this.state === 'joined';
  }

  get accessLevel(): Level | undefined {
    return this.level;
  }

  /** Wall-clock ms when this replica was last known to match the server, if ever. */
  get lastSyncedAt(): number | undefined {
    return this.lastSynced;
  }

  /** The user whose events are being applied, while a remote change is being delivered. */
  get currentAuthor(): string | undefined {
    return this.author;
  }

  /** The unacknowledged events, oldest first (for the offline store). */
  pendingEvents(): Event[] {
    return this.outbox.events();
  }

  /** The confirmed server state, as `Doc.encode` bytes, with its version (for the offline store). */
  serverSnapshot(): { serverVersion: number; snapshot: Uint8Array } {
    return { serverVersion: this.version, snapshot: this.replicas.snapshot() };
  }

  /** True when the server has every event this replica holds (local and server offsets agree). */
  get allConfirmed(): boolean {
    return this.outbox.size === 0 && this.fromPeers.size === 0;
  }

  /** A position in local text `name` as a server offset (for cursors sent to the server). */
  toServer(name: string, pos: number): number {
    return this.replicas.toServer(name, pos, this.allConfirmed);
  }

  /** A server offset in text `name` as a local position (for cursors received). */
  toLocal(name: string, pos: number): number {
    return this.replicas.toLocal(name, pos, this.allConfirmed);
  }

  // ----- connection lifecycle -----

  /** The connection is ready: join the session (resuming from `serverVersion`). */
  connectionReady(): void {
    if (this.state !== 'idle') return;
    const presence = this.presenceForJoin();
    const since = this.fullResync ? 0 : this.version;
    const sent = this.link.send({
      type: 'join_session',
      docId: this.docId,
      mode: 'events',
      ...(since > 0 ? { since } : {}),
      ...(this.wantsSnapshot() ? { snapshot: true } : {}),
      ...(this.joinLink !== undefined ? { link: this.joinLink } : {}),
      ...(presence !== undefined ? { presence } : {}),
    });
    if (sent) this.state = 'joining';
  }

  /**
   * A replica holding nothing (no server state, no edits of its own, another tab's or a peer's)
   * asks for the document as an encoded snapshot: loading one costs far less than merging a long
   * history event by event. Anything else joins by events, which merge with what it holds.
   */
  private wantsSnapshot(): boolean {
    return (
      !this.snapshotFailed &&
      !this.fullResync &&
      this.version === 0 &&
      this.outbox.size === 0 &&
      this.fromPeers.size === 0 &&
      this.doc.eventCount === 0 &&
      this.doc.pendingCount === 0 &&
      this.link.snapshots()
    );
  }

  /** The connection dropped: whatever was in flight is sent again after the next join. */
  connectionDown(): void {
    this.state = 'idle';
    this.inFlight = undefined;
    this.inSync = false;
    this.outbox.requeue();
    this.retryTimer.clear();
    this.ackTimer.clear();
  }

  /** Leaves the session and stops listening (the document is being closed). */
  close(): void {
    if (this.state !== 'idle') this.link.send({ type: 'leave_session', docId: this.docId });
    this.state = 'idle';
    this.retryTimer.clear();
    this.tabTimer.clear();
    this.ackTimer.clear();
    this.unsubscribe();
    this.removeAll();
  }

  // ----- incoming -----

  /** A server message about this document. */
  handle(message: ServerMessage): void {
    if (message.type !== 'remote_operation') this.applyIncoming();
    switch (message.type) {
      case 'session_joined':
        if (message.snapshot !== undefined) this.onJoinedWithSnapshot(message.version, message.level, message.snapshot, message.activeUsers);
        else this.onJoined(message.version, message.level, message.events ?? [], message.activeUsers);
        return;
      case 'remote_operation':
        if ('events' in message) this.onServerEvents(message.events, message.version, message.userId);
        return;
      case 'sync':
        this.onSync(message.version, message.events ?? []);
        return;
      case 'operation_ack':
        this.onAck(message.operationId, message.version);
        return;
      case 'error':
        this.onError(message);
        return;
      default:
        return;
    }
  }

  /** Events another tab of this profile made: apply them and make sure the server gets them. */
  receiveFromTab(events: readonly Event[]): void {
    let applied: readonly Event[];
    try {
      applied = this.doc.receive(events, { buffer: true }).applied;
    } catch (err) {
      this.emit('error', asError(err));
      return;
    }
    const at = this.settings.monotonic();
    let added = false;
    for (const e of applied) if (!this.fromPeers.has(eventKey(e.id)) && !this.replicas.isConfirmed(e.id) && this.outbox.add(e, 'tab', at)) added = true;
    if (added) this.outboxChanged();
  }

  /**
   * Events a peer sent over a direct link (already checked: an editor's, under its own agent).
   * Applied here at once, but not queued for the server: their author sends them. Returns how
   * many were new here.
   * @throws TandemError when they conflict with events held here (the caller counts and drops).
   */
  receiveFromPeer(events: readonly Event[]): number {
    // Events held here already came from the server (or are ours): only the others are peers' alone.
    const fresh = events.filter((e) => !this.doc.has(e.id)).map((e) => eventKey(e.id));
    const result = this.doc.receive(events, { buffer: true });
    for (const key of fresh) this.fromPeers.add(key);
    // Held beyond what the server confirmed (applied, or buffered for their parents): not in sync
    // until the server has them, and the 'synced' that ends this must be announced.
    if (fresh.length > 0) this.inSync = false;
    let applied = 0;
    for (const e of result.applied) {
      if (this.fromPeers.has(eventKey(e.id))) applied++;
      // Another source's event that waited here for these parents.
      else if (!this.replicas.isConfirmed(e.id) && this.outbox.add(e, 'tab', this.settings.monotonic())) this.outboxChanged();
    }
    return applied;
  }

  private onJoined(version: number, level: Level, events: readonly Event[], activeUsers: readonly PresencePeer[]): void {
    if (this.state !== 'joining') return;
    this.state = 'joined';
    this.level = level;
    const localEvents = this.outbox.size;
    const remoteEvents = this.takeServerEvents(events, version, undefined);
    this.joinedWith(level, activeUsers, { remoteEvents, localEvents, initial: !this.everJoined });
  }

  /**
   * A first join answered with the server's replica encoded (`snapshot`, base64): both replicas
   * are loaded from it at once. If edits came in the meantime, its events are merged instead. An
   * unreadable snapshot is reported, and the document rejoins asking for events.
   */
  private onJoinedWithSnapshot(version: number, level: Level, snapshot: string, activeUsers: readonly PresencePeer[]): void {
    if (this.state !== 'joining') return;
    let taken;
    try {
      taken = this.replicas.takeServerSnapshot(decodeBase64(snapshot));
    } catch (err) {
      this.snapshotFailed = true;
      this.emit('error', new Error(`the server's snapshot of ${this.docId} is unreadable, joining again without one: ${asError(err).message}`));
      this.rejoinLater();
      return;
    }
    if ('events' in taken) {
      this.onJoined(version, level, taken.events, activeUsers);
      return;
    }
    this.state = 'joined';
    this.level = level;
    this.version = version;
    this.settings.metrics.p2p.eventsViaServer += taken.loaded;
    this.joinedWith(level, activeUsers, { remoteEvents: taken.loaded, localEvents: 0, initial: !this.everJoined });
  }

  /** The end of every join, however the server's state came. */
  private joinedWith(level: Level, activeUsers: readonly PresencePeer[], merge: MergeReport): void {
    this.everJoined = true;
    this.checkForGap();
    this.emit('joined', { level, activeUsers, merge });
    this.afterServerChange();
    this.scheduleFlush();
  }

  private onServerEvents(events: readonly Event[], version: number, userId: string): void {
    if (this.state !== 'joined') return;
    const batch = this.incoming;
    if (batch === undefined) {
      this.incoming = { events: [...events], version, author: userId };
      soon(() => this.applyIncoming());
      return;
    }
    for (const e of events) batch.events.push(e);
    batch.version = Math.max(batch.version, version);
    if (batch.author !== userId) batch.author = undefined;
  }

  /** Applies the remote events received so far. */
  private applyIncoming(): void {
    const batch = this.incoming;
    if (batch === undefined) return;
    this.incoming = undefined;
    this.takeServerEvents(batch.events, batch.version, batch.author);
    this.afterServerChange();
  }

  private onSync(version: number, events: readonly Event[]): void {
    if (this.state !== 'joined') return;
    this.takeServerEvents(events, version, undefined);
    this.afterServerChange();
    this.scheduleFlush();
  }

  /**
   * Takes in events the server holds, into both replicas; returns how many were new here. With
   * `fullResync` they are everything the server has: the confirmed replica is rebuilt from them, and whatever
   * this replica has beyond them is queued to be sent again.
   */
  private takeServerEvents(events: readonly Event[], version: number, userId: string | undefined): number {
    const resync = this.fullResync;
    this.fullResync = false;
    let applied: readonly Event[] = [];
    this.author = userId;
    try {
      applied = this.replicas.takeServerEvents(events, resync);
    } catch (err) {
      this.emit('error', asError(err));
    } finally {
      this.author = undefined;
    }
    // Versions only grow on one connection; after a full resync the server's word is the truth.
    this.version = resync ? version : Math.max(this.version, version);
    let changed = this.outbox.confirm(events) > 0;
    const fromServer = new Set(events.map((e) => eventKey(e.id)));
    let released = false;
    if (this.fromPeers.size > 0) for (const key of fromServer) if (this.fromPeers.delete(key)) released = true;
    let remote = 0;
    const at = this.settings.monotonic();
    for (const e of applied) {
      if (fromServer.has(eventKey(e.id))) remote++;
      else if (this.fromPeers.has(eventKey(e.id))) continue;
      // Another tab's event that waited here for its parents, which came with these: ours to send too.
      else if (!this.replicas.isConfirmed(e.id) && this.outbox.add(e, 'tab', at)) changed = true;
    }
    this.settings.metrics.p2p.eventsViaServer += remote;
    if (resync) {
      // Everything this replica has beyond what the server has must be sent (again) — except
      // peers' events, which only their authors may send.
      this.outbox.rebuild(this.replicas.unconfirmed().filter((e) => !this.fromPeers.has(eventKey(e.id))), at);
      changed = true;
    }
    if (changed) this.outboxChanged();
    // Our events held for these peers' events may go now.
    else if (released && this.outbox.size > 0) this.scheduleFlush();
    return remote;
  }

  /**
   * A safety net, checked at joins and acknowledgements (not per message: it merges the queued
   * confirmed events): if server events wait for parents the server never sent, its stream had a
   * gap; fetch everything it has.
   */
  private checkForGap(): void {
    if (this.fullResync || this.replicas.confirmedComplete) return;
    this.fullResync = true;
    this.link.send({ type: 'request_sync', docId: this.docId, since: 0 });
  }

  private onAck(operationId: string, version: number): void {
    if (operationId !== this.inFlight) return;
    this.inFlight = undefined;
    this.ackTimer.clear();
    this.missingParentsStrikes = 0;
    const done = this.outbox.acknowledge(operationId);
    const now = this.settings.monotonic();
    for (const entry of done) if (entry.source === 'local') this.settings.metrics.eventRoundTrip.record(now - entry.addedAt);
    try {
      this.replicas.acknowledged(done.map((d) => d.event));
    } catch (err) {
      this.emit('error', asError(err));
    }
    if (version > this.version) this.version = version;
    this.checkForGap();
    if (done.length > 0) this.outboxChanged();
    this.afterServerChange();
    this.scheduleFlush();
  }

  private onError(message: ErrorMessage): void {
    if (message.ref !== undefined && message.ref === this.inFlight) {
      this.operationFailed(message);
      return;
    }
    if (this.state === 'joining' && (message.ref === 'join_session' || message.ref === undefined)) {
      this.joinFailed(message);
      return;
    }
    if (message.code === ErrorCode.StorageUnavailable) {
      // The server dropped its copy to reload it: rejoin and resend what it may not have stored.
      this.rejoinLater();
      return;
    }
    if (message.ref === 'request_sync') this.fullResync = false;
    this.emit('error', new Error(`${message.code}: ${message.message}`));
  }

  /**
   * The server dropped a message of this connection without saying which (RATE_LIMITED carries
   * no reference): an operation in flight will not be acknowledged, and a join not answered.
   */
  messageDropped(): void {
    if (this.inFlight !== undefined) {
      this.inFlight = undefined;
      this.ackTimer.clear();
      this.outbox.requeue();
      this.retryTimer.set(this.settings.retryDelayMs, () => this.scheduleFlush());
    } else if (this.state === 'joining') {
      this.rejoinLater();
    }
  }

  private operationFailed(message: ErrorMessage): void {
    this.inFlight = undefined;
    this.ackTimer.clear();
    this.outbox.requeue();
    switch (message.code) {
      case ErrorCode.MissingParents:
        // First time: resend from the oldest unacknowledged event. Again: the server lacks events
        // we thought it had; fetch everything it has and send whatever it is missing.
        if (++this.missingParentsStrikes >= 2) {
          this.missingParentsStrikes = 0;
          this.fullResync = true;
          this.link.send({ type: 'request_sync', docId: this.docId, since: 0 });
        } else {
          this.scheduleFlush();
        }
        return;
      case ErrorCode.RateLimited:
        this.retryTimer.set(this.settings.retryDelayMs, () => this.scheduleFlush());
        return;
      case ErrorCode.StorageUnavailable:
        this.rejoinLater();
        return;
      default:
        if (REFUSED.has(message.code)) {
          this.refused = new Error(`the server refused this document's edits (${message.code}: ${message.message}); they are kept locally and not sent again`);
          this.emit('error', this.refused);
        } else {
          this.retryTimer.set(this.settings.retryDelayMs, () => this.scheduleFlush());
        }
    }
  }

  private joinFailed(message: ErrorMessage): void {
    this.state = 'idle';
    if (message.code === ErrorCode.VersionConflict && !this.fullResync) {
      // Our `since` is ahead of the server: it lost events (restored from a backup?). Start over
      // from everything it has; whatever it lacks is sent again.
      this.fullResync = true;
      this.connectionReady();
      return;
    }
    if (message.code === ErrorCode.StorageUnavailable || message.code === ErrorCode.Internal) {
      this.retryTimer.set(this.settings.retryDelayMs, () => this.connectionReady());
    }
    this.emit('error', new Error(`could not join ${this.docId}: ${message.code}: ${message.message}`));
  }

  private rejoinLater(): void {
    if (this.state !== 'idle') this.link.send({ type: 'leave_session', docId: this.docId });
    this.connectionDown();
    this.retryTimer.set(this.settings.retryDelayMs, () => this.connectionReady());
  }

  // ----- outgoing -----

  private addLocal(events: readonly Event[]): void {
    if (events.length === 0) return;
    const at = this.settings.monotonic();
    for (const e of events) this.outbox.add(e, 'local', at);
    this.outboxChanged();
    this.emit('local', events);
  }

  private outboxChanged(): void {
    if (this.outbox.size > 0) this.inSync = false;
    this.emit('pending', this.outbox.size);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // A microtask: the edits of one tick (a paste, a loop) leave in one message.
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Sends the next batch when joined and nothing is in flight (one batch at a time: acks come in order). */
  private flush(): void {
    if (this.state !== 'joined' || this.inFlight !== undefined || this.refused !== undefined || this.fullResync) return;
    if (this.outbox.size === 0 || this.retryTimer.pending) return;
    const limits = this.link.limits();
    if (limits === undefined) return;
    const wait = this.link.reserve();
    if (wait > 0) {
      this.retryTimer.set(wait, () => this.scheduleFlush());
      return;
    }
    const operationId = this.settings.newId();
    const now = this.settings.monotonic();
    const batch = this.outbox.takeBatch(
      {
        maxEvents: limits.maxEventsPerMessage,
        maxBytes: limits.maxMessageBytes,
        tabGraceMs: this.settings.tabGraceMs,
        ...(this.fromPeers.size > 0 ? { held: (entry: OutboxEntry) => entry.event.parents.some((p) => this.fromPeers.has(eventKey(p))) } : {}),
      },
      now,
      operationId,
    );
    switch (batch.kind) {
      case 'empty':
        return;
      case 'wait':
        this.tabTimer.set(batch.retryAt - now, () => this.scheduleFlush());
        return;
      case 'too_big':
        this.refused = new Error(`event ${batch.entry.key} is ${batch.entry.bytes} bytes, more than the server accepts in one message (${limits.maxMessageBytes})`);
        this.emit('error', this.refused);
        return;
      case 'batch': {
        const events = batch.entries.map((e) => e.event);
        this.inFlight = operationId;
        if (!this.link.send({ type: 'operation', docId: this.docId, operationId, events })) {
          this.inFlight = undefined;
          this.outbox.requeue();
          return;
        }
        // Resending on the same connection is safe (the server deduplicates); waiting forever is not.
        this.ackTimer.set(this.settings.ackTimeoutMs, () => {
          if (this.inFlight !== operationId) return;
          this.inFlight = undefined;
          this.outbox.requeue();
          this.scheduleFlush();
        });
      }
    }
  }

  /** After the server's state moved: note when this replica last matched it. */
  private afterServerChange(): void {
    this.emit('advanced', this.version);
    const synced = this.state === 'joined' && this.allConfirmed && this.doc.pendingCount === 0;
    if (synced) this.lastSynced = this.settings.now();
    if (synced && !this.inSync) {
      this.inSync = true;
      this.emit('synced', this.lastSynced!);
    } else if (!synced) {
      this.inSync = false;
    }
  }
}

function asError(err: unknown): Error {
  if (isTandemError(err)) return err;
  return err instanceof Error ? err : new Error(String(err));
}
