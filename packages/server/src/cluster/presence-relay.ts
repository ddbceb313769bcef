/**
 * PresenceRelay carries presence between the nodes of a cluster. Outbound, it observes this node's
 * hub (joins, changes, leaves, room events, activity of local connections), publishes each change
 * and keeps this node's presence snapshot in Redis. Inbound, it mirrors the connections of other
 * nodes into the hub's rooms as remote members (`<node>/<connection>`), so each room folds a user's
 * tabs on every node into one peer exactly as it does on one node.
 *
 * Consistency comes from three sources: relays in order while the bus is up; snapshots (read when a
 * room opens here, when a node announces fresh snapshots after an outage or a restart, and after
 * our own outage), which replace what was known of that node; and node liveness: a node silent for
 * the timeout is dead and its members leave (with the usual `user_left` to local clients).
 *
 * A snapshot read takes a while, and relays keep arriving meanwhile, on another connection: they
 * may be older or newer than what the read returns. So every relay of the room heard during the
 * read is kept and, once the snapshot is in, replayed on it in order. A node saves an entry before
 * it publishes the change, so the snapshot holds at least everything heard before the read began;
 * a replayed relay the snapshot already holds may take a field back for a moment, but every relay
 * after it is either replayed too or still to come, so the member ends on its latest state.
 * Keeping the live state of those members instead would lose a member the read was meant to bring
 * in: an update of a member not known here yet (its node was just judged dead, or the room just
 * opened here) cannot be applied when it arrives, and only the snapshot can say who that member is.
 *
 * Cursors are offsets at a server version. A relayed cursor names its version: if this node's
 * replica is further, the cursor is moved through the edits in between; if it is behind, the cursor
 * waits until the replica catches up, so it never points into text this node has not seen.
 */
import type { JsonValue } from '@tandem/core';
import type { CursorRange, PresenceState } from '@tandem/protocol';
import type { Logger } from 'pino';
import type { PresenceHub, PresenceObserver } from '../presence-hub.js';
import { moveCursor } from '../presence/cursor-anchor.js';
import type { PresenceUser } from '../presence/index.js';
import type { OtEntry } from '../sync/version-window.js';
import { roomKey } from './cluster-bus.js';
import type { ClusterBus, NodeHeartbeat, PresenceEntry, PresenceRelay as Relay, RoomRef } from './cluster-bus.js';
import { PeerTable } from './peer-table.js';

export interface PresenceRelayDeps {
  readonly bus: ClusterBus;
  /** The document versions and recent edits, for placing relayed cursors. */
  readonly docs: {
    version(docId: string): number | undefined;
    opsAfter(docId: string, version: number): readonly OtEntry[] | undefined;
  };
  readonly nodeTimeoutMs: number;
  readonly logger: Logger;
}

/** The relays of one room heard while a snapshot read of it is in flight (see the header). */
interface Capture {
  readonly key: string;
  readonly relays: Relay[];
}

interface PendingCursor {
  readonly room: RoomRef;
  readonly member: string;
  readonly cursor: CursorRange;
  readonly version: number;
}

export class PresenceRelay implements PresenceObserver {
  private hubRef: PresenceHub | undefined;
  /** This node's connections: room key → connection → full entry (the snapshot). */
  private readonly mirror = new Map<string, Map<string, PresenceEntry>>();
  /** Rooms open here, by key. */
  private readonly rooms = new Map<string, RoomRef>();
  /** Remote members by room key, and the rooms of each remote member. */
  private readonly roomMembers = new Map<string, Set<string>>();
  private readonly memberRooms = new Map<string, Set<string>>();
  /** Snapshot reads in flight. */
  private readonly captures = new Set<Capture>();
  private readonly activeSince = new Set<string>();
  private readonly pendingCursors = new Map<string, PendingCursor[]>();
  private readonly peers = new PeerTable();
  private fresh = true;

  constructor(private readonly deps: PresenceRelayDeps) {}

  /** The hub is built with this relay as its observer, so it is attached afterwards. */
  attach(hub: PresenceHub): void {
    this.hubRef = hub;
  }

  private get hub(): PresenceHub {
    if (this.hubRef === undefined) throw new Error('PresenceRelay used before attach()');
    return this.hubRef;
  }

  private get node(): string {
    return this.deps.bus.nodeId;
  }

  // ----- outbound: this node's connections -----

  opened(room: RoomRef): void {
    this.rooms.set(roomKey(room), room);
    void this.deps.bus.watchRoom(room).then(() => this.hydrate(room, undefined));
  }

  closed(room: RoomRef): void {
    const key = roomKey(room);
    this.rooms.delete(key);
    this.deps.bus.unwatchRoom(room);
    this.mirror.delete(key);
    for (const member of [...(this.roomMembers.get(key) ?? [])]) this.forgetMember(key, member);
    this.roomMembers.delete(key);
    if (room.scope === 'doc') this.pendingCursors.delete(room.id);
  }

  joined(room: RoomRef, conn: string, user: PresenceUser, state: PresenceState): void {
    const cursorVersion = this.cursorVersion(room, state);
    const entry: PresenceEntry = { conn, user: { id: user.id, name: user.name, color: user.color }, state: { ...state }, ...cursorVersion };
    this.mirrorOf(room).set(conn, entry);
    void this.deps.bus.savePresence(room, conn, entry);
    void this.deps.bus.publishPresence(room, { kind: 'join', node: this.node, conn, user: entry.user, state, ...cursorVersion });
  }

  updated(room: RoomRef, conn: string, state: PresenceState): void {
    const prev = this.mirrorOf(room).get(conn);
    if (prev === undefined) return;
    const cursorVersion = this.cursorVersion(room, state);
    const merged: PresenceState = { ...prev.state, ...definedFields(state) };
    const entry: PresenceEntry = { ...prev, state: merged, ...(state.cursor !== undefined ? cursorVersion : {}) };
    this.mirrorOf(room).set(conn, entry);
    void this.deps.bus.savePresence(room, conn, entry);
    void this.deps.bus.publishPresence(room, { kind: 'update', node: this.node, conn, state, ...cursorVersion });
  }

  left(room: RoomRef, conn: string): void {
    this.mirror.get(roomKey(room))?.delete(conn);
    void this.deps.bus.savePresence(room, conn, null);
    void this.deps.bus.publishPresence(room, { kind: 'leave', node: this.node, conn });
  }

  broadcast(room: RoomRef, conn: string, event: string, data: JsonValue | undefined): void {
    const from = this.mirror.get(roomKey(room))?.get(conn)?.user.id;
    if (from === undefined) return;
    const message: Relay = data === undefined ? { kind: 'event', node: this.node, conn, from, event } : { kind: 'event', node: this.node, conn, from, event, data };
    void this.deps.bus.publishPresence(room, message);
  }

  active(conn: string): void {
    this.activeSince.add(conn);
  }

  private mirrorOf(room: RoomRef): Map<string, PresenceEntry> {
    const key = roomKey(room);
    let m = this.mirror.get(key);
    if (m === undefined) {
      m = new Map();
      this.mirror.set(key, m);
    }
    return m;
  }

  private cursorVersion(room: RoomRef, state: PresenceState): { cursorVersion?: number } {
    if (room.scope !== 'doc' || state.cursor === undefined || state.cursor === null) return {};
    const v = this.deps.docs.version(room.id);
    return v === undefined ? {} : { cursorVersion: v };
  }

  /** Sends this node's heartbeat (with the connections active since the last one). */
  async beat(): Promise<void> {
    const active = [...this.activeSince];
    this.activeSince.clear();
    const rooms = [...this.mirror.keys()].map((k) => this.rooms.get(k)).filter((r): r is RoomRef => r !== undefined);
    const snapshot = (): Map<string, PresenceEntry[]> => new Map([...this.mirror].map(([k, m]) => [k, [...m.values()]]));
    const { rewrote } = await this.deps.bus.heartbeat(active, rooms, snapshot, this.fresh);
    if (rewrote) this.fresh = false;
  }

  // ----- inbound: other nodes' connections -----

  /** A relay from another node. */
  onRelay(room: RoomRef, m: Relay): void {
    this.peers.heard(m.node, Date.now());
    const key = roomKey(room);
    if (!this.rooms.has(key)) return;
    const member = `${m.node}/${m.conn}`;
    if (m.kind !== 'event') for (const c of this.captures) if (c.key === key) c.relays.push(m);
    switch (m.kind) {
      case 'join':
        this.applyMember(room, member, m.user, m.state, m.cursorVersion);
        return;
      case 'update': {
        if (!(this.memberRooms.get(member)?.has(key) ?? false)) return;
        const { cursor, ...rest } = m.state;
        if (Object.keys(rest).length > 0) this.hub.remoteUpdate(room, member, rest);
        if (cursor !== undefined) this.setCursor(room, member, cursor, m.cursorVersion);
        return;
      }
      case 'leave':
        this.removeMember(room, member);
        return;
      case 'event':
        if (room.scope === 'room') this.hub.remoteEvent(room.id, m.from, m.event, m.data as JsonValue | undefined);
        return;
    }
  }

  private applyMember(room: RoomRef, member: string, user: PresenceUser, state: PresenceState, cursorVersion: number | undefined): void {
    const { cursor, ...rest } = state;
    if (!this.hub.remoteJoin(room, member, user, rest)) return;
    const key = roomKey(room);
    let members = this.roomMembers.get(key);
    if (members === undefined) {
      members = new Set();
      this.roomMembers.set(key, members);
    }
    members.add(member);
    let rooms = this.memberRooms.get(member);
    if (rooms === undefined) {
      rooms = new Set();
      this.memberRooms.set(member, rooms);
    }
    rooms.add(key);
    if (cursor !== undefined) this.setCursor(room, member, cursor, cursorVersion);
  }

  private removeMember(room: RoomRef, member: string): void {
    this.hub.remoteLeave(room, member);
    this.forgetMember(roomKey(room), member);
  }

  private forgetMember(key: string, member: string): void {
    this.roomMembers.get(key)?.delete(member);
    const rooms = this.memberRooms.get(member);
    rooms?.delete(key);
    if (rooms !== undefined && rooms.size === 0) this.memberRooms.delete(member);
  }

  /** Sets a remote member's cursor once it can be placed in this node's text (see the header). */
  private setCursor(room: RoomRef, member: string, cursor: CursorRange | null, version: number | undefined): void {
    const pending = this.pendingCursors.get(room.id)?.filter((p) => p.member !== member);
    if (pending !== undefined) this.pendingCursors.set(room.id, pending);
    const here = room.scope === 'doc' ? this.deps.docs.version(room.id) : undefined;
    if (cursor === null || version === undefined || here === undefined) {
      this.hub.remoteUpdate(room, member, { cursor });
      return;
    }
    if (version <= here) {
      this.hub.remoteUpdate(room, member, { cursor: this.moved(room.id, cursor, version) });
      return;
    }
    this.pendingCursors.set(room.id, [...(pending ?? []), { room, member, cursor, version }]);
  }

  /** `cursor` from `version` to the current version, through the edits in between when known. */
  private moved(docId: string, cursor: CursorRange, version: number): CursorRange {
    let c = cursor;
    for (const op of this.deps.docs.opsAfter(docId, version) ?? []) c = moveCursor(c, op.text, op.operations, 'before');
    return c;
  }

  /** The document reached `version` here: cursors that waited for it are placed. */
  docAdvanced(docId: string, version: number): void {
    const pending = this.pendingCursors.get(docId);
    if (pending === undefined) return;
    const ready = pending.filter((p) => p.version <= version);
    if (ready.length === 0) return;
    this.pendingCursors.set(docId, pending.filter((p) => p.version > version));
    for (const p of ready) {
      if (this.memberRooms.get(p.member)?.has(roomKey(p.room)) ?? false) this.hub.remoteUpdate(p.room, p.member, { cursor: this.moved(docId, p.cursor, p.version) });
    }
  }

  /**
   * Replaces what is known of `nodes` (all live ones when undefined) in a room by their snapshots,
   * with the relays heard during the read replayed on them (see the header).
   */
  async hydrate(room: RoomRef, nodes: readonly string[] | undefined): Promise<void> {
    const key = roomKey(room);
    const capture: Capture = { key, relays: [] };
    this.captures.add(capture);
    let snapshots: Map<string, PresenceEntry[]>;
    try {
      snapshots = await this.deps.bus.loadPresence(room, nodes);
    } catch (err) {
      this.deps.logger.warn({ err, room }, 'presence snapshots could not be read');
      return;
    } finally {
      this.captures.delete(capture);
    }
    if (!this.rooms.has(key)) return;
    for (const [node, entries] of snapshots) {
      this.peers.expect(node, Date.now());
      const known = new Map<string, PresenceEntry | undefined>(entries.map((e) => [`${node}/${e.conn}`, e]));
      for (const m of capture.relays) {
        if (m.node !== node) continue;
        const member = `${node}/${m.conn}`;
        known.set(member, replay(known.get(member), m));
      }
      for (const member of [...(this.roomMembers.get(key) ?? [])]) {
        if (member.startsWith(`${node}/`) && known.get(member) === undefined) this.removeMember(room, member);
      }
      for (const [member, e] of known) if (e !== undefined) this.applyMember(room, member, e.user, e.state, e.cursorVersion);
    }
  }

  /** A heartbeat from another node. */
  onHeartbeat(beat: NodeHeartbeat): void {
    const change = this.peers.beat(beat.node, beat.epoch, Date.now());
    // A restarted process lost every connection of the old one.
    if (change === 'restarted') this.dropNode(beat.node);
    if (change !== 'same' || beat.fresh) for (const room of this.rooms.values()) void this.hydrate(room, [beat.node]);
    for (const conn of beat.active) {
      const member = `${beat.node}/${conn}`;
      for (const key of this.memberRooms.get(member) ?? []) {
        const room = this.rooms.get(key);
        if (room !== undefined) this.hub.remoteActivity(room, member);
      }
    }
  }

  /** The bus came back: whatever was relayed meanwhile is lost, so snapshots replace it. */
  onReconnected(): void {
    this.peers.restartClocks(Date.now());
    this.fresh = true;
    for (const room of this.rooms.values()) void this.hydrate(room, undefined);
  }

  /** Drops the members of nodes silent past the timeout; call periodically. */
  checkPeers(now: number): void {
    // Silence proves nothing while this node cannot hear the bus (clocks restart on reconnect).
    if (!this.deps.bus.healthy) return;
    for (const node of this.peers.expired(now, this.deps.nodeTimeoutMs)) {
      this.deps.logger.warn({ node }, 'cluster node silent past the timeout: its users leave presence');
      this.dropNode(node);
      this.peers.forget(node);
    }
  }

  private dropNode(node: string): void {
    for (const [member, keys] of [...this.memberRooms]) {
      if (!member.startsWith(`${node}/`)) continue;
      for (const key of [...keys]) {
        const room = this.rooms.get(key);
        if (room !== undefined) this.removeMember(room, member);
        else this.forgetMember(key, member);
      }
    }
  }

  /** The other nodes known to hold connections on document `docId` (for announces). */
  nodesOn(docId: string): Set<string> {
    const nodes = new Set<string>();
    for (const member of this.roomMembers.get(roomKey({ scope: 'doc', id: docId })) ?? []) {
      const node = member.slice(0, member.indexOf('/'));
      if (node !== this.node) nodes.add(node);
    }
    return nodes;
  }

  /** The node holding connection `conn` on document `docId`, if one is known. */
  nodeOf(docId: string, conn: string): string | undefined {
    for (const member of this.roomMembers.get(roomKey({ scope: 'doc', id: docId })) ?? []) {
      if (member.endsWith(`/${conn}`)) return member.slice(0, member.indexOf('/'));
    }
    return undefined;
  }
}

/**
 * A member's snapshot entry (undefined: not there) after one more relay of it, as its node's own
 * entry changed when it published the relay (see `joined`, `updated`, `left`). An update of a
 * member that is not there changes nothing: the member joined before the read began (a later join
 * is replayed first), so a snapshot without it was read after it left.
 */
function replay(entry: PresenceEntry | undefined, m: Relay): PresenceEntry | undefined {
  switch (m.kind) {
    case 'join':
      return { conn: m.conn, user: m.user, state: { ...m.state }, ...(m.cursorVersion !== undefined ? { cursorVersion: m.cursorVersion } : {}) };
    case 'update': {
      if (entry === undefined) return undefined;
      const state: PresenceState = { ...entry.state, ...definedFields(m.state) };
      return { ...entry, state, ...(m.cursorVersion !== undefined ? { cursorVersion: m.cursorVersion } : {}) };
    }
    case 'leave':
      return undefined;
    case 'event':
      return entry;
  }
}

/** The fields of a presence patch that are set (a patch never unsets a field by leaving it out). */
function definedFields(state: PresenceState): PresenceState {
  return Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined)) as PresenceState;
}
