/**
 * PeerList owns what this client knows of the others on a document: users the server reports
 * (one entry per user, however many devices they use) and this profile's other tabs (reported
 * over the tab channel). Cursors are stored in local offsets and moved through every edit. It
 * emits join / leave / update / cursor as entries appear, vanish or change.
 */
import type { Bias, TextOp } from '@tandem/core';
import type { CursorRange, PresencePeer } from '@tandem/protocol';
import type { Emitter } from '../util/emitter.js';
import { moveCursor } from './cursor-anchor.js';

/**
 * Someone else on the document, as an app renders them: the protocol's presence of a user, with
 * `cursor` in local offsets (moved with every edit; null when none).
 */
export interface PeerPresence extends PresencePeer {
  /** Unique among the peers: the user id for server peers, `tab:<id>` for this profile's other tabs. */
  readonly key: string;
  /** Who reported them: the server, another tab of this profile, or the peer itself over a direct link. */
  readonly via: 'server' | 'tab' | 'p2p';
}

export type PresenceEvents = {
  join: [peer: PeerPresence];
  leave: [peer: PeerPresence];
  /** Anything but the cursor changed (status, name, typing, custom…). */
  update: [peer: PeerPresence];
  /** The cursor was set by its owner (not moved by an edit: those are implied by the edit). */
  cursor: [peer: PeerPresence];
};

/** A server peer record as a PeerPresence (its cursor already in local offsets). */
export function fromServerPeer(peer: PresencePeer, cursor: CursorRange | null): PeerPresence {
  return {
    key: peer.userId,
    userId: peer.userId,
    name: peer.name,
    color: peer.color,
    status: peer.status,
    ...(peer.activity !== undefined ? { activity: peer.activity } : {}),
    typing: peer.typing,
    custom: peer.custom,
    cursor,
    lastSeen: peer.lastSeen,
    via: 'server',
  };
}

export class PeerList {
  private readonly peers = new Map<string, PeerPresence>();

  constructor(private readonly events: Emitter<PresenceEvents>) {}

  get(key: string): PeerPresence | undefined {
    return this.peers.get(key);
  }

  list(): PeerPresence[] {
    return [...this.peers.values()];
  }

  /** Adds or replaces a peer, telling listeners what changed. */
  put(peer: PeerPresence): void {
    const before = this.peers.get(peer.key);
    this.peers.set(peer.key, peer);
    if (before === undefined) {
      this.events.emit('join', peer);
      return;
    }
    const { cursor: c1, lastSeen: _l1, ...rest1 } = before;
    const { cursor: c2, lastSeen: _l2, ...rest2 } = peer;
    if (JSON.stringify(rest1) !== JSON.stringify(rest2)) this.events.emit('update', peer);
    if (JSON.stringify(c1) !== JSON.stringify(c2)) this.events.emit('cursor', peer);
  }

  setCursor(key: string, cursor: CursorRange | null): void {
    const peer = this.peers.get(key);
    if (peer === undefined) return;
    this.put({ ...peer, cursor });
  }

  remove(key: string): void {
    const peer = this.peers.get(key);
    if (peer === undefined) return;
    this.peers.delete(key);
    this.events.emit('leave', peer);
  }

  /** Removes every peer `drop` selects. */
  removeWhere(drop: (peer: PeerPresence) => boolean): void {
    for (const peer of [...this.peers.values()]) if (drop(peer)) this.remove(peer.key);
  }

  /** Moves every cursor in `text` through `op`; the author's own cursor with bias 'after'. */
  moveCursors(text: string, op: TextOp, author: string | undefined): void {
    for (const [key, peer] of this.peers) {
      if (peer.cursor === null) continue;
      const bias: Bias = author !== undefined && peer.userId === author && peer.via !== 'tab' ? 'after' : 'before';
      const moved = moveCursor(peer.cursor, text, op, bias);
      if (moved !== peer.cursor) this.peers.set(key, { ...peer, cursor: moved });
    }
  }
}
