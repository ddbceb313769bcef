/**
 * PeerTable tracks the other nodes of the cluster as this node hears them: when each was last heard
 * (heartbeat or any relay) and which process (epoch) it is. A node silent past the timeout is dead;
 * its users must leave presence. Silence is only evidence while this node itself hears the bus, so
 * after an outage of our own every clock restarts: peers get a full timeout to be heard again.
 */

/** What a heartbeat tells about its node. */
export type PeerChange = 'new' | 'restarted' | 'same';

interface Peer {
  /** Undefined while known only from its snapshots (its alive key), not yet by a heartbeat. */
  epoch: string | undefined;
  lastHeard: number;
}

export class PeerTable {
  private readonly peers = new Map<string, Peer>();

  /** A heartbeat from `node` running as `epoch`. */
  beat(node: string, epoch: string, now: number): PeerChange {
    const peer = this.peers.get(node);
    if (peer === undefined) {
      this.peers.set(node, { epoch, lastHeard: now });
      return 'new';
    }
    peer.lastHeard = now;
    if (peer.epoch === undefined) {
      peer.epoch = epoch;
      return 'new';
    }
    if (peer.epoch === epoch) return 'same';
    peer.epoch = epoch;
    return 'restarted';
  }

  /**
   * Any message from a known node: alive. An unknown node (new, or declared dead) becomes known only
   * by a heartbeat, whose 'new' makes the listener read its snapshots instead of trusting relays
   * that began in the middle.
   */
  heard(node: string, now: number): void {
    const peer = this.peers.get(node);
    if (peer !== undefined) peer.lastHeard = Math.max(peer.lastHeard, now);
  }

  /** A node found alive in Redis (its snapshot was read): its death must be noticed too. */
  expect(node: string, now: number): void {
    if (!this.peers.has(node)) this.peers.set(node, { epoch: undefined, lastHeard: now });
  }

  /** Nodes not heard for `timeoutMs`. */
  expired(now: number, timeoutMs: number): string[] {
    const out: string[] = [];
    for (const [node, peer] of this.peers) if (now - peer.lastHeard > timeoutMs) out.push(node);
    return out;
  }

  forget(node: string): void {
    this.peers.delete(node);
  }

  /** After our own outage: nobody is judged on silence we could not have heard. */
  restartClocks(now: number): void {
    for (const peer of this.peers.values()) peer.lastHeard = now;
  }

  nodes(): string[] {
    return [...this.peers.keys()];
  }
}
