/**
 * PresenceRoom owns the presence of one document or one room: who is here (connections grouped by
 * user, so several tabs or devices show as one peer), what each shares (status, activity, typing,
 * cursor, custom fields), idle and dead-connection detection, invisibility, throttled delivery of
 * changes, cursors kept anchored through edits, room broadcast events, and last-seen times.
 *
 * It knows nothing of sockets: the connection layer calls it and delivers what it hands to `send`.
 * Time comes only from the injected clock, scheduler and `tick(now)`, so tests drive it directly.
 */
import type { JsonValue, TextOp } from '@tandem/core';
import type { PresencePeer, PresenceState } from '@tandem/protocol';
import { colorForUser } from '../auth/user-color.js';
import { INITIAL_CONNECTION_STATE, isFailure, mergeConnectionState } from './connection-state.js';
import { moveCursor } from './cursor-anchor.js';
import { LastSeenBook } from './last-seen.js';
import { aggregate, difference, isVisible, mostRecentConnection, type LiveConnection, type LiveUser } from './live-member.js';
import { resolvePresenceOptions, type PresenceRoomOptions, type PresenceSettings } from './options.js';
import { Throttle } from './throttle.js';
import { failure, type PresenceOutboundMessage, type PresenceResult, type PresenceScope, type PresenceUser } from './types.js';

export class PresenceRoom {
  readonly scope: PresenceScope;
  readonly id: string;
  private readonly settings: PresenceSettings;
  private readonly users = new Map<string, LiveUser>();
  private readonly connections = new Map<string, LiveConnection>();
  private readonly book: LastSeenBook;
  private currentVersion: number;
  private nextSeq = 0;
  private closed = false;

  /** @throws RangeError on an invalid option (see `resolvePresenceOptions`). */
  constructor(options: PresenceRoomOptions) {
    this.settings = resolvePresenceOptions(options);
    this.scope = this.settings.scope;
    this.id = this.settings.id;
    this.currentVersion = this.settings.version;
    this.book = new LastSeenBook(
      {
        touch: this.settings.touch,
        touchIntervalMs: this.settings.touchIntervalMs,
        maxRemembered: this.settings.maxRememberedMembers,
        onError: this.settings.onError,
      },
      this.settings.persisted,
    );
  }

  /** The server version cursors refer to (doc scope). */
  get version(): number {
    return this.currentVersion;
  }

  /** Live connections. */
  get size(): number {
    return this.connections.size;
  }

  has(connectionId: string): boolean {
    return this.connections.has(connectionId);
  }

  /** The document's server version moved; cursors sent from now on are at this version. */
  setVersion(version: number): void {
    if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`version must be a non-negative integer, got ${version}`);
    this.currentVersion = version;
  }

  /**
   * Adds a connection of `user`. Others hear `user_joined` unless the user was already here on
   * another connection (then at most a `presence` if the combined peer changed) or is invisible.
   * Joining again on the same connection is an update. Returns the peers the joiner should see:
   * what the others were last told (see `toldPeers`).
   */
  join(connectionId: string, user: PresenceUser, state: PresenceState = {}): PresenceResult<{ readonly peers: PresencePeer[] }> {
    if (this.closed) throw new Error(`presence ${this.scope} ${JSON.stringify(this.id)} is closed`);
    const existing = this.connections.get(connectionId);
    if (existing !== undefined) {
      if (existing.user.id !== user.id) return failure('BAD_MESSAGE', 'connection already joined as another user');
      const updated = this.update(connectionId, state);
      return updated.ok ? { ok: true, peers: this.toldPeers(connectionId) } : updated;
    }
    if (this.connections.size >= this.settings.maxMembers) {
      return failure('LIMIT_EXCEEDED', `presence ${this.scope} is full (${this.settings.maxMembers} connections)`);
    }
    const merged = mergeConnectionState(INITIAL_CONNECTION_STATE, state, this.settings.maxCustomBytes);
    if (isFailure(merged)) return merged;

    const now = this.settings.now();
    let live = this.users.get(user.id);
    if (live === undefined) {
      live = { id: user.id, name: user.name, color: user.color, connections: new Map(), announced: null, lastTouchAt: Number.NEGATIVE_INFINITY };
      this.users.set(user.id, live);
    } else {
      live.name = user.name;
      live.color = user.color;
    }
    const owner = live;
    const conn: LiveConnection = {
      id: connectionId,
      user: owner,
      state: merged,
      lastActivity: now,
      lastHeartbeat: now,
      idle: false,
      seq: this.nextSeq++,
      throttle: new Throttle(this.settings.updateIntervalMs, this.settings.now, this.settings.schedule, () => this.reconcile(owner)),
    };
    owner.connections.set(connectionId, conn);
    this.connections.set(connectionId, conn);
    if (isVisible(owner)) this.book.touch(owner, now, false);
    this.changed(conn);
    return { ok: true, peers: this.toldPeers(connectionId) };
  }

  /** Removes a connection; others hear `user_left` when it was the user's last. False if unknown. */
  leave(connectionId: string): boolean {
    const conn = this.connections.get(connectionId);
    if (conn === undefined) return false;
    this.remove(conn, this.settings.now());
    return true;
  }

  /**
   * Merges a partial state into the connection's (see `mergeConnectionState`). Broadcasts are
   * throttled per connection; turning invisible takes effect at once.
   */
  update(connectionId: string, state: PresenceState): PresenceResult {
    const conn = this.connections.get(connectionId);
    if (conn === undefined) return failure('NOT_JOINED', `connection has not joined this presence ${this.scope}`);
    const merged = mergeConnectionState(conn.state, state, this.settings.maxCustomBytes);
    if (isFailure(merged)) return merged;
    conn.state = merged;
    this.markActive(conn, this.settings.now());
    this.changed(conn);
    return { ok: true };
  }

  /** Any message from the connection: it is alive and its user is not idle. */
  activity(connectionId: string): void {
    const conn = this.connections.get(connectionId);
    if (conn === undefined) return;
    const wasIdle = conn.idle;
    const wasLatest = mostRecentConnection(conn.user) === conn;
    this.markActive(conn, this.settings.now());
    // Only a change others can see is worth a flush: back from away, or another tab taking over.
    if (wasIdle || !wasLatest) this.changed(conn);
  }

  /** A heartbeat: the connection is alive, which says nothing about whether its user is idle. */
  heartbeat(connectionId: string): void {
    const conn = this.connections.get(connectionId);
    if (conn !== undefined) conn.lastHeartbeat = this.settings.now();
  }

  /**
   * Driven by the server's timer: connections idle for `awayAfterMs` become away; connections
   * silent for `ttlMs` are dropped as if they left, so a closed laptop leaves no ghost cursor.
   * Returns the dropped connection ids (the server may close their sockets).
   */
  tick(now: number = this.settings.now()): string[] {
    const dropped: LiveConnection[] = [];
    for (const conn of this.connections.values()) {
      if (now - conn.lastHeartbeat >= this.settings.ttlMs) {
        dropped.push(conn);
      } else if (!conn.idle && now - conn.lastActivity >= this.settings.awayAfterMs) {
        conn.idle = true;
        // A typing flag left on by a client that went quiet would show someone typing forever.
        if (conn.state.typing) conn.state = { ...conn.state, typing: false };
        this.changed(conn);
      }
    }
    // The user was last seen when the connection last spoke, not when the timer noticed it died.
    for (const conn of dropped) this.remove(conn, conn.lastHeartbeat);
    return dropped.map((conn) => conn.id);
  }

  /** Visible peers, one per user, without the asking connection's own user. */
  peers(forConnection?: string): PresencePeer[] {
    const self = forConnection === undefined ? undefined : this.connections.get(forConnection)?.user;
    const out: PresencePeer[] = [];
    for (const user of this.users.values()) {
      if (user !== self && isVisible(user)) out.push(aggregate(user).peer);
    }
    return out;
  }

  /**
   * What every connection in the room was last told about the visible users (one per user, without
   * the asking connection's own user): the view a joiner starts from. Not the current truth: a
   * change still waiting for its throttle is sent as the difference from what was told, and may be
   * undone before it is due (then nothing is sent); a joiner given the truth would keep the change.
   */
  private toldPeers(forConnection?: string): PresencePeer[] {
    const self = forConnection === undefined ? undefined : this.connections.get(forConnection)?.user;
    const out: PresencePeer[] = [];
    for (const user of this.users.values()) {
      if (user !== self && user.announced !== null && isVisible(user)) out.push(user.announced.peer);
    }
    return out;
  }

  /**
   * Everyone the room knows, as a joiner should see it (see `toldPeers`): visible live users, then
   * remembered members (persisted or gone since) as 'offline' with their last-seen time, most
   * recent first. An invisible live user appears as offline with the time from before they hid,
   * exactly as if they had not come.
   */
  members(): PresencePeer[] {
    const live = new Set<string>();
    const out = this.toldPeers();
    for (const peer of out) live.add(peer.userId);
    const offline: PresencePeer[] = [];
    for (const [userId, member] of this.book.entries()) {
      if (live.has(userId)) continue;
      offline.push({
        userId,
        name: member.name ?? userId,
        color: member.color ?? colorForUser(userId),
        status: 'offline',
        typing: false,
        cursor: null,
        custom: {},
        lastSeen: member.lastSeen,
      });
    }
    offline.sort((a, b) => b.lastSeen - a.lastSeen);
    return out.concat(offline);
  }

  /**
   * An app-defined ephemeral event (room scope) to every other connection, the sender's other tabs
   * included: they show the same app and must see "goal created" too.
   */
  broadcast(connectionId: string, event: string, data?: JsonValue): PresenceResult {
    if (this.scope !== 'room') return failure('BAD_MESSAGE', 'broadcast events exist only in rooms');
    const conn = this.connections.get(connectionId);
    if (conn === undefined) return failure('NOT_JOINED', 'connection has not joined this room');
    this.activity(connectionId);
    const message: PresenceOutboundMessage =
      data === undefined
        ? { type: 'room_event', room: this.id, from: conn.user.id, event }
        : { type: 'room_event', room: this.id, from: conn.user.id, event, data };
    for (const target of [...this.connections.values()]) {
      if (target !== conn) this.deliver(target.id, message);
    }
    return { ok: true };
  }

  /**
   * Moves every stored cursor in `text` through an edit, so a cursor set at an older version still
   * points at the same character. Nothing is broadcast: clients map remote cursors through the
   * same edit themselves; this keeps what joiners and later broadcasts see right. `origin` is the
   * connection that made the edit: its own cursor follows what it inserted.
   */
  applyTextOp(text: string, op: TextOp, origin?: string): void {
    for (const conn of this.connections.values()) {
      const cursor = conn.state.cursor;
      if (cursor === null) continue;
      const moved = moveCursor(cursor, text, op, conn.id === origin ? 'after' : 'before');
      if (moved !== cursor) conn.state = { ...conn.state, cursor: moved };
    }
    // Move what others were told the same way, or the next comparison would see a change that
    // is only the edit, and re-send a cursor every client already moved.
    for (const user of this.users.values()) {
      const told = user.announced;
      if (told === null || told.peer.cursor === null) continue;
      const moved = moveCursor(told.peer.cursor, text, op, told.cursorConnection === origin ? 'after' : 'before');
      if (moved !== told.peer.cursor) user.announced = { ...told, peer: { ...told.peer, cursor: moved } };
    }
  }

  /** Drops every connection without messages (the room is being discarded) and stops timers. */
  close(): void {
    this.closed = true;
    for (const conn of this.connections.values()) conn.throttle.dispose();
    this.connections.clear();
    this.users.clear();
  }

  private markActive(conn: LiveConnection, now: number): void {
    conn.lastActivity = now;
    conn.lastHeartbeat = now;
    conn.idle = false;
    // No last-seen while invisible: a fresh "last seen" would tell others the user is around.
    if (isVisible(conn.user)) this.book.touch(conn.user, now, false);
  }

  private remove(conn: LiveConnection, seenAt: number): void {
    // `send` may re-enter (a failing socket leaving) while a tick still holds this connection.
    if (this.connections.get(conn.id) !== conn) return;
    const user = conn.user;
    const wasVisible = isVisible(user);
    conn.throttle.dispose();
    this.connections.delete(conn.id);
    user.connections.delete(conn.id);
    if (wasVisible) {
      this.book.touch(user, seenAt, true);
      if (user.connections.size === 0) this.book.remember(user.id, seenAt, user.name, user.color);
    }
    if (user.connections.size === 0) this.users.delete(user.id);
    // Not throttled: the connection whose budget applied is gone, and leaving is rare.
    this.reconcile(user);
  }

  /** Something about `conn` changed: tell others within its budget; hiding never waits. */
  private changed(conn: LiveConnection): void {
    const user = conn.user;
    if (user.announced !== null && !isVisible(user)) this.reconcile(user);
    else conn.throttle.request();
  }

  /**
   * Brings what others know about `user` in line with the truth; true if it broadcast a join,
   * presence or cursor (which spends the source connection's budget). `user_left` spends none.
   */
  private reconcile(user: LiveUser): boolean {
    if (!isVisible(user)) {
      if (user.announced === null) return false;
      user.announced = null;
      this.sendToOthers(user, { type: 'user_left', scope: this.scope, id: this.id, userId: user.id });
      return false;
    }
    const next = aggregate(user);
    const told = user.announced;
    if (told === null) {
      user.announced = next;
      this.sendToOthers(user, { type: 'user_joined', scope: this.scope, id: this.id, peer: next.peer });
      return true;
    }
    const diff = difference(told, next);
    if (diff === 'same') return false;
    user.announced = next;
    if (diff === 'cursor' && this.scope === 'doc') {
      this.sendToOthers(user, { type: 'remote_cursor', docId: this.id, userId: user.id, version: this.currentVersion, cursor: next.peer.cursor });
    } else {
      this.sendToOthers(user, { type: 'presence', scope: this.scope, id: this.id, peer: next.peer });
    }
    return true;
  }

  /** Every connection of every other user, invisible ones included (they still see others). */
  private sendToOthers(user: LiveUser, message: PresenceOutboundMessage): void {
    // A snapshot: `send` may call back into the room (a failed socket leaving) mid-loop.
    for (const target of [...this.connections.values()]) {
      if (target.user !== user) this.deliver(target.id, message);
    }
  }

  private deliver(connectionId: string, message: PresenceOutboundMessage): void {
    try {
      this.settings.send(connectionId, message);
    } catch (error) {
      this.settings.onError(error);
    }
  }
}
