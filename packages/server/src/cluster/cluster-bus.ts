/**
 * ClusterBus is how the nodes of a cluster talk: the small set of things one node must tell the
 * others (a document was committed up to a head, a connection's presence changed, a room event, a
 * signal for a connection on another node, "I am alive"), and the presence snapshots a node keeps
 * in the shared cache so that nodes opening a room later, or after an outage, can see who is there.
 *
 * Everything on the bus is a hint or ephemeral: document contents never travel on it (the database
 * is the source of truth, and a node that misses a notice catches up from it), and presence is
 * rebuilt from snapshots after an outage. So a bus may drop messages while it is down; it reports
 * that through `healthy` and the `health` callback, and the cluster compensates (polling storage,
 * re-reading snapshots). The single-node server uses LocalBus, which has no peers at all.
 */
import type { PresenceState } from '@tandem/protocol';

export type RoomScope = 'doc' | 'room';

/** A presence room: a document's presence or a room channel. */
export interface RoomRef {
  readonly scope: RoomScope;
  readonly id: string;
}

/** Another node committed events to a document; its head (server version) is now `head`. */
export interface CommitNotice {
  readonly node: string;
  readonly docId: string;
  readonly head: number;
}

export interface RelayedUser {
  readonly id: string;
  readonly name: string;
  readonly color: string;
}

/**
 * One connection's presence in a room, as its node relays it. `conn` is the connection id on that
 * node. `update` carries only the fields that changed (as the client sent them); `cursorVersion` is
 * the document's server version a cursor refers to.
 */
export type PresenceRelay =
  | { readonly kind: 'join'; readonly node: string; readonly conn: string; readonly user: RelayedUser; readonly state: PresenceState; readonly cursorVersion?: number }
  | { readonly kind: 'update'; readonly node: string; readonly conn: string; readonly state: PresenceState; readonly cursorVersion?: number }
  | { readonly kind: 'leave'; readonly node: string; readonly conn: string }
  | { readonly kind: 'event'; readonly node: string; readonly conn: string; readonly from: string; readonly event: string; readonly data?: unknown };

/** What a node's snapshot holds per local connection of a room (the full state, not a patch). */
export interface PresenceEntry {
  readonly conn: string;
  readonly user: RelayedUser;
  readonly state: PresenceState;
  readonly cursorVersion?: number;
}

/**
 * A node's heartbeat. `epoch` changes when the process restarts (its old connections are gone);
 * `fresh` says the node has just rewritten its presence snapshots (after starting, or after it lost
 * Redis): the others should re-read them instead of trusting what they had. `active` lists the
 * node's connections that sent anything since its last heartbeat (they are not idle).
 */
export interface NodeHeartbeat {
  readonly node: string;
  readonly epoch: string;
  readonly fresh: boolean;
  readonly active: readonly string[];
}

/** Messages addressed to one node. */
export type DirectMessage =
  | {
      readonly kind: 'signal';
      readonly fromNode: string;
      readonly docId: string;
      /** Sender connection and user, and the sender's level on the document. */
      readonly from: string;
      readonly userId: string;
      readonly level: string;
      readonly to: string;
      readonly data: unknown;
    }
  | { readonly kind: 'signal_failed'; readonly docId: string; readonly from: string; readonly to: string };

/** What a bus delivers. Handlers must not throw; they run on the bus's event loop turn. */
export interface BusListener {
  commit(notice: CommitNotice): void;
  presence(room: RoomRef, message: PresenceRelay): void;
  heartbeat(beat: NodeHeartbeat): void;
  direct(message: DirectMessage): void;
  /**
   * The bus went down (false) or is up again (true). After `true`, every watched channel is
   * subscribed again, but whatever was published meanwhile is lost: the listener resynchronizes.
   */
  health(healthy: boolean): void;
}

export interface ClusterBus {
  /** This node's id. */
  readonly nodeId: string;
  /** Random per process start, so peers can tell a restarted node from one that was slow. */
  readonly epoch: string;
  /** False for LocalBus: there are no other nodes, and nothing needs relaying. */
  readonly clustered: boolean;
  /** Both directions (publishing and receiving) work right now. */
  readonly healthy: boolean;
  start(listener: BusListener): Promise<void>;

  /** Receive commit notices of a document (idempotent). */
  watchDoc(docId: string): Promise<void>;
  unwatchDoc(docId: string): void;
  /** Resolves false when the notice could not be sent (the bus is down). Never rejects. */
  publishCommit(docId: string, head: number): Promise<boolean>;

  /** Receive presence relays of a room (idempotent). */
  watchRoom(room: RoomRef): Promise<void>;
  unwatchRoom(room: RoomRef): void;
  publishPresence(room: RoomRef, message: PresenceRelay): Promise<boolean>;
  sendToNode(node: string, message: DirectMessage): Promise<boolean>;

  /** Stores (or, with null, removes) this node's snapshot entry of a connection in a room. */
  savePresence(room: RoomRef, conn: string, entry: PresenceEntry | null): Promise<void>;
  /**
   * Refreshes this node's liveness key and snapshots (their TTL), and publishes the heartbeat.
   * `snapshot` gives the full presence of this node; it is written (replacing what is stored) when
   * the heartbeat is `fresh` or the bus finds the node's keys expired. Resolves whether it did.
   */
  heartbeat(active: readonly string[], rooms: readonly RoomRef[], snapshot: () => ReadonlyMap<string, readonly PresenceEntry[]>, fresh: boolean): Promise<{ rewrote: boolean }>;
  /**
   * The snapshots of a room from every live node but this one (optionally only `nodes`), by node.
   * Nodes whose liveness key is gone are left out: their snapshot may be stale or half written.
   */
  loadPresence(room: RoomRef, nodes?: readonly string[]): Promise<Map<string, PresenceEntry[]>>;

  close(): Promise<void>;
}

/** The key of a room in maps and snapshots: scope and id, unambiguous for any id. */
export function roomKey(room: RoomRef): string {
  return `${room.scope}:${room.id}`;
}

/** The inverse of roomKey. */
export function parseRoomKey(key: string): RoomRef {
  const i = key.indexOf(':');
  return { scope: key.slice(0, i) === 'room' ? 'room' : 'doc', id: key.slice(i + 1) };
}

/** The single-node bus: no peers, so nothing to send and nothing ever arrives. */
export class LocalBus implements ClusterBus {
  readonly clustered = false;
  readonly healthy = true;
  readonly epoch = 'local';

  constructor(readonly nodeId = 'local') {}

  async start(): Promise<void> {}
  async watchDoc(): Promise<void> {}
  unwatchDoc(): void {}
  async publishCommit(): Promise<boolean> {
    return true;
  }
  async watchRoom(): Promise<void> {}
  unwatchRoom(): void {}
  async publishPresence(): Promise<boolean> {
    return true;
  }
  async sendToNode(): Promise<boolean> {
    return false;
  }
  async savePresence(): Promise<void> {}
  async heartbeat(): Promise<{ rewrote: boolean }> {
    return { rewrote: false };
  }
  async loadPresence(): Promise<Map<string, PresenceEntry[]>> {
    return new Map();
  }
  async close(): Promise<void> {}
}
