/**
 * PresenceHub owns the presence rooms of this server: one per open document and one per room
 * channel, created on first join and closed when empty. It routes what the rooms send to the
 * connections, feeds them heartbeats, activity and the document edits that move cursors, and drives
 * their timers (idle → away, silent connection → gone).
 *
 * In a cluster, a room also holds the connections of other nodes as remote members (ids
 * `<node>/<connection>`), which the cluster's presence relay adds, updates and removes: the room
 * then folds a user's tabs on every node into one peer, exactly as it does for one node. The hub
 * tells the relay what its own connections do (PresenceObserver); a room lives while it has local
 * connections, and its remote members are never delivered to (they have no socket here).
 */
import type { JsonValue, TextOp } from '@tandem/core';
import type { CursorRange, PresencePeer, PresenceState, RoomEventMessage } from '@tandem/protocol';
import type { Logger } from 'pino';
import { PresenceRoom } from './presence/index.js';
import type { PresenceOutboundMessage, PresenceRoomOptions, PresenceUser } from './presence/index.js';
import type { DocStore } from './storage/doc-store.js';

export interface PresenceHubOptions {
  readonly store: DocStore;
  readonly logger: Logger;
  /** Delivers a message to a connection. */
  readonly deliver: (connectionId: string, message: PresenceOutboundMessage) => void;
  /** Options given to every room (timeouts, throttle, limits). */
  readonly room?: Partial<Omit<PresenceRoomOptions, 'scope' | 'id' | 'send'>>;
  /** Told what this server's own connections do (the cluster relays it to the other nodes). */
  readonly observer?: PresenceObserver;
}

/** A room as the observer names it. */
export interface PresenceRoomRef {
  readonly scope: 'doc' | 'room';
  readonly id: string;
}

/** What the hub reports about its local connections; called after the room accepted the change. */
export interface PresenceObserver {
  /** The first local connection joined: the room exists here from now on. */
  opened(room: PresenceRoomRef): void;
  /** The last local connection left: the room is gone here. */
  closed(room: PresenceRoomRef): void;
  joined(room: PresenceRoomRef, connectionId: string, user: PresenceUser, state: PresenceState): void;
  /** `state` holds only the fields that changed. */
  updated(room: PresenceRoomRef, connectionId: string, state: PresenceState): void;
  left(room: PresenceRoomRef, connectionId: string): void;
  broadcast(room: PresenceRoomRef, connectionId: string, event: string, data: JsonValue | undefined): void;
  /** The connection sent something (it is not idle). */
  active(connectionId: string): void;
}

interface Principal {
  readonly userId: string;
  readonly name: string;
  readonly color: string;
}

export class PresenceHub {
  private readonly docs = new Map<string, PresenceRoom>();
  private readonly rooms = new Map<string, PresenceRoom>();
  /** Which rooms each connection is in, for heartbeats and activity. */
  private readonly byConnection = new Map<string, Set<PresenceRoom>>();
  /** The local connections of each room. */
  private readonly local = new Map<PresenceRoom, Set<string>>();
  /** The members of other nodes in each room. */
  private readonly remote = new Map<PresenceRoom, Set<string>>();

  constructor(private readonly options: PresenceHubOptions) {}

  private makeRoom(scope: 'doc' | 'room', id: string, extra: Partial<PresenceRoomOptions> = {}): PresenceRoom {
    return new PresenceRoom({
      ...this.options.room,
      ...extra,
      scope,
      id,
      send: this.options.deliver,
      onError: (err) => this.options.logger.warn({ err, scope, id }, 'presence delivery failed'),
    });
  }

  private track(connectionId: string, room: PresenceRoom): void {
    let set = this.byConnection.get(connectionId);
    if (set === undefined) {
      set = new Set();
      this.byConnection.set(connectionId, set);
    }
    set.add(room);
    let members = this.local.get(room);
    if (members === undefined) {
      members = new Set();
      this.local.set(room, members);
    }
    members.add(connectionId);
  }

  private untrack(connectionId: string, room: PresenceRoom): void {
    const set = this.byConnection.get(connectionId);
    set?.delete(room);
    if (set !== undefined && set.size === 0) this.byConnection.delete(connectionId);
    this.local.get(room)?.delete(connectionId);
  }

  /** Rooms stay open while they have local connections; other nodes' members alone do not count. */
  private closeIfUnused(room: PresenceRoom, rooms: Map<string, PresenceRoom>): void {
    if ((this.local.get(room)?.size ?? 0) > 0 || rooms.get(room.id) !== room) return;
    room.close();
    rooms.delete(room.id);
    this.local.delete(room);
    this.remote.delete(room);
    this.options.observer?.closed({ scope: room.scope, id: room.id });
  }

  /** Joins a document's presence; returns the peers already there. */
  joinDoc(docId: string, connectionId: string, who: Principal, state?: PresenceState, version = 0): PresencePeer[] {
    let room = this.docs.get(docId);
    if (room === undefined) {
      room = this.makeRoom('doc', docId, { version });
      this.docs.set(docId, room);
      this.options.observer?.opened({ scope: 'doc', id: docId });
    }
    const r = room.join(connectionId, toUser(who), state ?? {});
    if (!r.ok) {
      this.closeIfUnused(room, this.docs);
      return [];
    }
    this.track(connectionId, room);
    this.options.observer?.joined({ scope: 'doc', id: docId }, connectionId, toUser(who), state ?? {});
    return r.peers;
  }

  leaveDoc(docId: string, connectionId: string): void {
    const room = this.docs.get(docId);
    if (room === undefined) return;
    if (room.leave(connectionId)) this.options.observer?.left({ scope: 'doc', id: docId }, connectionId);
    this.untrack(connectionId, room);
    this.closeIfUnused(room, this.docs);
  }

  /** Joins a room channel (loading its members' last-seen times); undefined when it is full. */
  async joinRoom(roomId: string, connectionId: string, who: Principal, state?: PresenceState): Promise<PresencePeer[] | undefined> {
    let room = this.rooms.get(roomId);
    if (room === undefined) {
      const persisted = await this.options.store.roomMembers(roomId);
      room = this.rooms.get(roomId);
      if (room === undefined) {
        room = this.makeRoom('room', roomId, {
          persisted: persisted.map((m) => ({ userId: m.user, lastSeen: m.lastSeen })),
          touch: (userId, at) => this.options.store.touchRoomMember(roomId, userId, at),
        });
        this.rooms.set(roomId, room);
        this.options.observer?.opened({ scope: 'room', id: roomId });
      }
    }
    const r = room.join(connectionId, toUser(who), state ?? {});
    if (!r.ok) {
      this.closeIfUnused(room, this.rooms);
      return undefined;
    }
    this.track(connectionId, room);
    this.options.observer?.joined({ scope: 'room', id: roomId }, connectionId, toUser(who), state ?? {});
    return room.members();
  }

  leaveRoom(roomId: string, connectionId: string): void {
    const room = this.rooms.get(roomId);
    if (room === undefined) return;
    if (room.leave(connectionId)) this.options.observer?.left({ scope: 'room', id: roomId }, connectionId);
    this.untrack(connectionId, room);
    this.closeIfUnused(room, this.rooms);
  }

  update(scope: 'doc' | 'room', id: string, connectionId: string, state: PresenceState): void {
    const r = (scope === 'doc' ? this.docs : this.rooms).get(id)?.update(connectionId, state);
    if (r?.ok === true) this.options.observer?.updated({ scope, id }, connectionId, state);
  }

  cursor(docId: string, connectionId: string, _version: number, cursor: CursorRange | null): void {
    this.update('doc', docId, connectionId, { cursor });
  }

  broadcast(roomId: string, connectionId: string, event: string, data: JsonValue | undefined): void {
    const r = this.rooms.get(roomId)?.broadcast(connectionId, event, data);
    if (r?.ok === true) this.options.observer?.broadcast({ scope: 'room', id: roomId }, connectionId, event, data);
  }

  // ----- other nodes' members (the cluster's presence relay) -----

  private roomOf(ref: PresenceRoomRef): PresenceRoom | undefined {
    return (ref.scope === 'doc' ? this.docs : this.rooms).get(ref.id);
  }

  /** Whether the room is open here (it has local connections). */
  hasRoom(ref: PresenceRoomRef): boolean {
    return this.roomOf(ref) !== undefined;
  }

  /** Adds (or, when present, updates) a member of another node; false when the room refused it. */
  remoteJoin(ref: PresenceRoomRef, memberId: string, user: PresenceUser, state: PresenceState): boolean {
    const room = this.roomOf(ref);
    if (room === undefined) return false;
    const r = room.has(memberId) ? room.update(memberId, state) : room.join(memberId, user, state);
    if (r.ok) {
      let members = this.remote.get(room);
      if (members === undefined) {
        members = new Set();
        this.remote.set(room, members);
      }
      members.add(memberId);
    }
    return r.ok;
  }

  remoteUpdate(ref: PresenceRoomRef, memberId: string, state: PresenceState): void {
    this.roomOf(ref)?.update(memberId, state);
  }

  remoteLeave(ref: PresenceRoomRef, memberId: string): void {
    const room = this.roomOf(ref);
    room?.leave(memberId);
    if (room !== undefined) this.remote.get(room)?.delete(memberId);
  }

  /** A member of another node sent something: not idle (the room may re-announce it). */
  remoteActivity(ref: PresenceRoomRef, memberId: string): void {
    this.roomOf(ref)?.activity(memberId);
  }

  /** A room event sent on another node: delivered to this node's connections in the room. */
  remoteEvent(roomId: string, from: string, event: string, data: JsonValue | undefined): void {
    const room = this.rooms.get(roomId);
    if (room === undefined) return;
    const message: RoomEventMessage = data === undefined ? { type: 'room_event', room: roomId, from, event } : { type: 'room_event', room: roomId, from, event, data };
    for (const id of [...(this.local.get(room) ?? [])]) {
      try {
        this.options.deliver(id, message);
      } catch (err) {
        this.options.logger.warn({ err, room: roomId }, 'presence delivery failed');
      }
    }
  }

  /** The document's server version as the presence of the document knows it. */
  versionOf(docId: string): number | undefined {
    return this.docs.get(docId)?.version;
  }

  /** A committed edit: moves the document's cursors and advances its version. */
  textEdited(docId: string, version: number, text: string, op: TextOp, origin?: string): void {
    const room = this.docs.get(docId);
    if (room === undefined) return;
    room.applyTextOp(text, op, origin);
    room.setVersion(version);
  }

  /** The visible users on a document, one entry per user (REST reads of a document). */
  peersOf(docId: string): PresencePeer[] {
    return this.docs.get(docId)?.peers() ?? [];
  }

  activity(connectionId: string): void {
    for (const room of this.byConnection.get(connectionId) ?? []) room.activity(connectionId);
    this.options.observer?.active(connectionId);
  }

  heartbeat(connectionId: string): void {
    for (const room of this.byConnection.get(connectionId) ?? []) room.heartbeat(connectionId);
  }

  /** Advances idle and liveness timers of every room. */
  tick(now: number): void {
    for (const [rooms, scope] of [
      [this.docs, 'doc'],
      [this.rooms, 'room'],
    ] as const) {
      for (const room of [...rooms.values()]) {
        const local = this.local.get(room) ?? new Set<string>();
        // Other nodes' members live as long as their node does: the relay removes them when it dies.
        for (const id of this.remote.get(room) ?? []) room.heartbeat(id);
        for (const dropped of room.tick(now)) {
          if (!local.has(dropped)) continue;
          this.untrack(dropped, room);
          this.options.observer?.left({ scope, id: room.id }, dropped);
        }
        this.closeIfUnused(room, rooms);
      }
    }
  }

  close(): void {
    for (const room of [...this.docs.values(), ...this.rooms.values()]) room.close();
    this.docs.clear();
    this.rooms.clear();
    this.local.clear();
    this.remote.clear();
  }
}

function toUser(p: Principal): PresenceUser {
  return { id: p.userId, name: p.name, color: p.color };
}
