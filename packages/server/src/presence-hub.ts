/**
 * PresenceHub owns the presence rooms of this server: one per open document and one per room
 * channel, created on first join and closed when empty. It routes what the rooms send to the
 * connections, feeds them heartbeats, activity and the document edits that move cursors, and drives
 * their timers (idle → away, silent connection → gone).
 */
import type { JsonValue, TextOp } from '@tandem/core';
import type { CursorRange, PresencePeer, PresenceState } from '@tandem/protocol';
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
  }

  private untrack(connectionId: string, room: PresenceRoom): void {
    const set = this.byConnection.get(connectionId);
    set?.delete(room);
    if (set !== undefined && set.size === 0) this.byConnection.delete(connectionId);
  }

  /** Joins a document's presence; returns the peers already there. */
  joinDoc(docId: string, connectionId: string, who: Principal, state?: PresenceState, version = 0): PresencePeer[] {
    let room = this.docs.get(docId);
    if (room === undefined) {
      room = this.makeRoom('doc', docId, { version });
      this.docs.set(docId, room);
    }
    const r = room.join(connectionId, toUser(who), state ?? {});
    if (!r.ok) return [];
    this.track(connectionId, room);
    return r.peers;
  }

  leaveDoc(docId: string, connectionId: string): void {
    const room = this.docs.get(docId);
    if (room === undefined) return;
    room.leave(connectionId);
    this.untrack(connectionId, room);
    if (room.size === 0) {
      room.close();
      this.docs.delete(docId);
    }
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
      }
    }
    const r = room.join(connectionId, toUser(who), state ?? {});
    if (!r.ok) return undefined;
    this.track(connectionId, room);
    return room.members();
  }

  leaveRoom(roomId: string, connectionId: string): void {
    const room = this.rooms.get(roomId);
    if (room === undefined) return;
    room.leave(connectionId);
    this.untrack(connectionId, room);
    if (room.size === 0) {
      room.close();
      this.rooms.delete(roomId);
    }
  }

  update(scope: 'doc' | 'room', id: string, connectionId: string, state: PresenceState): void {
    (scope === 'doc' ? this.docs : this.rooms).get(id)?.update(connectionId, state);
  }

  cursor(docId: string, connectionId: string, _version: number, cursor: CursorRange | null): void {
    this.docs.get(docId)?.update(connectionId, { cursor });
  }

  broadcast(roomId: string, connectionId: string, event: string, data: JsonValue | undefined): void {
    this.rooms.get(roomId)?.broadcast(connectionId, event, data);
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
  }

  heartbeat(connectionId: string): void {
    for (const room of this.byConnection.get(connectionId) ?? []) room.heartbeat(connectionId);
  }

  /** Advances idle and liveness timers of every room. */
  tick(now: number): void {
    for (const room of [...this.docs.values(), ...this.rooms.values()]) room.tick(now);
  }

  close(): void {
    for (const room of [...this.docs.values(), ...this.rooms.values()]) room.close();
    this.docs.clear();
    this.rooms.clear();
  }
}

function toUser(p: Principal): PresenceUser {
  return { id: p.userId, name: p.name, color: p.color };
}
