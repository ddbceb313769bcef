/**
 * Presence owns one document's presence as this client sees it: the state this user shares (name,
 * color, status, activity, typing, custom fields, invisibility, and the cursor or selection),
 * sent to the server and to other tabs throttled and coalesced; "away" after a quiet spell; and
 * the others (see PeerList), with their cursors anchored to the text. Cursors travel as server
 * offsets and are kept here as local offsets, so an app never converts anything.
 *
 * A peer never lingers as a ghost: the server drops a silent connection after its TTL, this
 * client drops every server-reported peer when its own link has been down for `staleAfterMs`,
 * and another tab's presence expires unless that tab re-announces it.
 */
import type { TextOp } from '@tandem/core';
import type { ClientMessage, CursorRange, PresencePeer, PresenceState, ServerMessage } from '@tandem/protocol';
import { Emitter } from '../util/emitter.js';
import { Timer } from '../util/timer.js';
import type { TabMessage, TabPresence } from '../tabs/tab-channel.js';
import { CoalescingThrottle } from './coalescing-throttle.js';
import { cursorText, moveCursor, withPositions } from './cursor-anchor.js';
import { PeerList, fromServerPeer, type PeerPresence, type PresenceEvents } from './peer-list.js';

export interface PresenceSettings {
  /** At most one presence (and one cursor) message per this many ms; changes in between coalesce. */
  readonly throttleMs: number;
  /** With no local activity for this long, the status becomes 'away' (until the next activity). */
  readonly awayAfterMs: number;
  /** Server-reported peers are dropped after the link has been down this long. */
  readonly staleAfterMs: number;
  /** Another tab's presence expires after this long without a re-announcement. */
  readonly tabTtlMs: number;
}

/** What presence needs from its document and client. */
export interface PresenceHost {
  readonly docId: string;
  readonly tabId: string;
  /** Sends to the server when the document is joined; false otherwise. */
  send(message: ClientMessage): boolean;
  joined(): boolean;
  serverVersion(): number;
  /** True when the server has confirmed every local edit (local and server offsets agree). */
  allConfirmed(): boolean;
  toServer(text: string, pos: number): number;
  toLocal(text: string, pos: number): number;
  /** Who this client is, once the server said so. */
  me(): { readonly id: string; readonly name: string; readonly color: string } | undefined;
  postTab(message: TabMessage): void;
  now(): number;
}

/** My presence without the cursor (which has its own message and is kept in local offsets). */
type SharedState = Omit<PresenceState, 'cursor'>;

export class Presence extends Emitter<PresenceEvents> {
  private shared: SharedState = {};
  private localCursor: CursorRange | null = null;
  private autoAway = false;
  private stateDirty = false;
  private cursorDirty = false;
  /**
   * My cursor went out while local edits were unconfirmed, so its server offsets were an
   * approximation (a cursor inside text the server does not have yet cannot be expressed
   * exactly): it is sent again once the server has caught up.
   */
  private cursorApproximate = false;
  private readonly peers = new PeerList(this);
  /** Cursors at a server version this replica has not reached yet, by user. */
  private readonly held = new Map<string, { readonly version: number; readonly cursor: CursorRange | null }>();
  /**
   * Users with an open direct (peer-to-peer) link, which carries their presence sooner than the
   * server does: while it is open the server's reports of them are only remembered (an older
   * state must not overwrite the newer one the link brought), and used again when it closes.
   */
  private readonly direct = new Map<string, number>();
  private readonly lastFromServer = new Map<string, PresencePeer>();
  private readonly throttle: CoalescingThrottle;
  private readonly idleTimer = new Timer();
  private readonly staleTimer = new Timer();
  private readonly tabTimer = new Timer();
  private closed = false;

  /** @internal Created by TandemDocument. */
  constructor(
    private readonly host: PresenceHost,
    private readonly settings: PresenceSettings,
    initial: PresenceState = {},
  ) {
    super();
    const { cursor, ...rest } = initial;
    this.shared = rest;
    this.localCursor = cursor ?? null;
    this.throttle = new CoalescingThrottle(settings.throttleMs, () => performance.now(), () => this.flush());
    this.idleTimer.set(settings.awayAfterMs, () => this.goIdle());
    this.tabTimer.set(settings.tabTtlMs / 3, () => this.tabTick());
  }

  /** My presence as others see it (cursor in local offsets). */
  get state(): PresenceState {
    return { ...this.shared, cursor: this.localCursor };
  }

  /** My cursor or selection, in local offsets, moved with every edit. */
  get cursor(): CursorRange | null {
    return this.localCursor;
  }

  /** Everyone else on the document: other users, and this profile's other tabs. */
  get others(): PeerPresence[] {
    return this.peers.list();
  }

  /** One peer by key (a user id, or `tab:<id>`). */
  get(key: string): PeerPresence | undefined {
    return this.peers.get(key);
  }

  /** Replaces my shared state (fields left out are cleared; a `cursor` field sets the cursor). */
  setState(state: PresenceState): void {
    const { cursor, ...rest } = state;
    this.shared = rest;
    if (cursor !== undefined) this.setCursorQuietly(cursor);
    this.activity(true);
  }

  /** Merges fields into my shared state (a `cursor` field sets the cursor). */
  update(partial: PresenceState): void {
    const { cursor, ...rest } = partial;
    this.shared = { ...this.shared, ...rest };
    if (cursor !== undefined) this.setCursorQuietly(cursor);
    this.activity(true);
  }

  /** Sets my cursor or selection (local offsets); null hides it. */
  setCursor(cursor: CursorRange | null): void {
    this.setCursorQuietly(cursor);
    this.activity(false);
  }

  private setCursorQuietly(cursor: CursorRange | null): void {
    this.localCursor = cursor;
    this.cursorDirty = true;
  }

  // ----- wiring (called by TandemDocument) -----

  /** @internal The state to send with `join_session` (cursor in server offsets). */
  stateForJoin(): PresenceState {
    this.stateDirty = false;
    this.cursorDirty = false;
    this.cursorApproximate = !this.host.allConfirmed() && this.localCursor !== null;
    return { ...this.shared, cursor: this.serverCursor() };
  }

  /** @internal Joined (again): the server's list of who is here replaces ours. */
  joined(activeUsers: readonly PresencePeer[]): void {
    if (this.closed) return;
    this.staleTimer.clear();
    const here = new Set(activeUsers.map((p) => p.userId));
    this.peers.removeWhere((p) => p.via === 'server' && !here.has(p.userId));
    this.lastFromServer.clear();
    for (const peer of activeUsers) {
      this.lastFromServer.set(peer.userId, peer);
      if (!this.direct.has(peer.userId)) this.peers.put(fromServerPeer(peer, this.localCursorOf(peer.cursor)));
    }
    // Anything changed while we were away goes out now.
    if (this.stateDirty || this.cursorDirty) this.throttle.request();
  }

  /** @internal The link is down: server-reported peers vanish unless it comes back soon. */
  connectionDown(): void {
    if (this.closed) return;
    this.held.clear();
    this.staleTimer.set(this.settings.staleAfterMs, () => this.peers.removeWhere((p) => p.via === 'server'));
  }

  /** @internal A presence message about this document. */
  handleServer(message: ServerMessage): void {
    switch (message.type) {
      case 'user_joined':
      case 'presence':
        this.lastFromServer.set(message.peer.userId, message.peer);
        if (!this.direct.has(message.peer.userId)) this.peers.put(fromServerPeer(message.peer, this.localCursorOf(message.peer.cursor)));
        return;
      case 'user_left':
        this.held.delete(message.userId);
        this.lastFromServer.delete(message.userId);
        this.peers.remove(message.userId);
        return;
      case 'remote_cursor': {
        const known = this.lastFromServer.get(message.userId);
        if (known !== undefined) this.lastFromServer.set(message.userId, { ...known, cursor: message.cursor });
        if (this.direct.has(message.userId)) return;
        // Offsets at a version not reached yet would be mapped through edits they already include.
        if (message.version > this.host.serverVersion()) this.held.set(message.userId, { version: message.version, cursor: message.cursor });
        else this.applyRemoteCursor(message.userId, message.cursor);
        return;
      }
      default:
        return;
    }
  }

  /** @internal The confirmed server version moved: cursors waiting for it can be placed. */
  serverAdvanced(version: number): void {
    if (this.cursorApproximate && this.host.allConfirmed()) {
      this.cursorApproximate = false;
      this.cursorDirty = true;
      this.throttle.request();
    }
    for (const [userId, h] of this.held) {
      if (h.version > version) continue;
      this.held.delete(userId);
      this.applyRemoteCursor(userId, h.cursor);
    }
  }

  /** @internal Text `name` changed by `op`: move every cursor with it. */
  textChanged(name: string, op: TextOp, local: boolean, author: string | undefined): void {
    this.peers.moveCursors(name, op, author);
    if (this.localCursor !== null) {
      const moved = moveCursor(this.localCursor, name, op, local ? 'after' : 'before');
      if (moved !== this.localCursor) {
        this.localCursor = moved;
        // The server moves stored cursors with bias 'before'; after my own typing, mine is ahead of that.
        if (local) this.cursorDirty = true;
      }
    }
    if (local) this.activity(false);
  }

  /** @internal Presence a peer sent over a direct link (cursor in its local offsets, like a tab's). */
  directPresence(presence: TabPresence): void {
    if (this.closed) return;
    this.peers.put({ key: presence.userId, ...presence, lastSeen: this.host.now(), via: 'p2p' });
  }

  /** @internal A direct link with one of `userId`'s connections opened or closed. */
  directLink(userId: string, open: boolean): void {
    if (this.closed) return;
    const n = (this.direct.get(userId) ?? 0) + (open ? 1 : -1);
    if (n > 0) {
      this.direct.set(userId, n);
      return;
    }
    this.direct.delete(userId);
    // Back to the server's word: its latest report, or nothing if it has none.
    const last = this.lastFromServer.get(userId);
    if (last !== undefined) this.peers.put(fromServerPeer(last, this.localCursorOf(last.cursor)));
    else this.peers.remove(userId);
  }

  /** @internal A message from another tab about this document. */
  tabMessage(message: TabMessage): void {
    const key = `tab:${message.from}`;
    if (message.kind === 'hello') {
      this.postToTabs();
      return;
    }
    if (message.kind !== 'presence') return;
    if (message.presence === null) {
      this.peers.remove(key);
      return;
    }
    const p = message.presence;
    this.peers.put({ key, ...p, lastSeen: this.host.now(), via: 'tab' });
  }

  /** @internal The document is closing: tell the other tabs, stop timers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.throttle.cancel();
    this.idleTimer.clear();
    this.staleTimer.clear();
    this.tabTimer.clear();
    this.host.postTab({ kind: 'presence', docId: this.host.docId, from: this.host.tabId, presence: null });
    this.removeAll();
  }

  // ----- internals -----

  private applyRemoteCursor(userId: string, cursor: CursorRange | null): void {
    this.peers.setCursor(userId, this.localCursorOf(cursor));
  }

  private localCursorOf(cursor: CursorRange | null): CursorRange | null {
    if (cursor === null) return null;
    const text = cursorText(cursor);
    return withPositions(cursor, this.host.toLocal(text, cursor.anchor), this.host.toLocal(text, cursor.head));
  }

  private serverCursor(): CursorRange | null {
    const c = this.localCursor;
    if (c === null) return null;
    const text = cursorText(c);
    return withPositions(c, this.host.toServer(text, c.anchor), this.host.toServer(text, c.head));
  }

  /** Local activity: back from away, restart the idle clock, and send what changed. */
  private activity(stateChanged: boolean): void {
    if (stateChanged) this.stateDirty = true;
    if (this.autoAway) {
      this.autoAway = false;
      this.shared = { ...this.shared, status: 'online' };
      this.stateDirty = true;
    }
    if (!this.closed) this.idleTimer.set(this.settings.awayAfterMs, () => this.goIdle());
    if (this.stateDirty || this.cursorDirty) this.throttle.request();
  }

  private goIdle(): void {
    if (this.closed || this.autoAway || (this.shared.status !== undefined && this.shared.status !== 'online')) return;
    this.autoAway = true;
    this.shared = { ...this.shared, status: 'away', typing: false };
    this.stateDirty = true;
    this.throttle.request();
  }

  private flush(): void {
    if (this.closed) return;
    this.postToTabs();
    if (!this.host.joined()) return;
    if (this.stateDirty && this.host.send({ type: 'presence_update', scope: 'doc', id: this.host.docId, state: this.shared })) this.stateDirty = false;
    if (this.cursorDirty) {
      const exact = this.host.allConfirmed();
      const sent = this.host.send({ type: 'cursor_update', docId: this.host.docId, version: this.host.serverVersion(), cursor: this.serverCursor() });
      if (sent) {
        this.cursorDirty = false;
        this.cursorApproximate = !exact && this.localCursor !== null;
      }
    }
  }

  private postToTabs(): void {
    const me = this.host.me();
    if (me === undefined || this.closed) return;
    const presence: TabPresence = {
      userId: me.id,
      name: this.shared.name ?? me.name,
      color: this.shared.color ?? me.color,
      status: this.shared.status ?? 'online',
      ...(this.shared.activity !== undefined ? { activity: this.shared.activity } : {}),
      typing: this.shared.typing ?? false,
      custom: this.shared.custom ?? {},
      cursor: this.localCursor,
    };
    this.host.postTab({ kind: 'presence', docId: this.host.docId, from: this.host.tabId, presence: this.shared.invisible === true ? null : presence });
  }

  /** Re-announces this tab to the others and expires tabs that stopped announcing. */
  private tabTick(): void {
    if (this.closed) return;
    this.postToTabs();
    const cutoff = this.host.now() - this.settings.tabTtlMs;
    this.peers.removeWhere((p) => p.via === 'tab' && p.lastSeen < cutoff);
    this.tabTimer.set(this.settings.tabTtlMs / 3, () => this.tabTick());
  }
}
