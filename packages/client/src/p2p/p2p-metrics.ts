/**
 * P2PMetrics owns the peer-to-peer numbers of a client: one record per peer link of every open
 * document (state, transport, RTT, setup time, traffic), which path delivered each remote event
 * first, and what was refused or dropped. `client.metrics.p2p` is its snapshot: plain data, ready
 * for a dashboard.
 */
import type { Level } from '@tandem/protocol';
import type { LatencySummary } from '../metrics/latency-window.js';
import type { LinkState } from './peer-link.js';

/** One peer of one document, as this client sees it. */
export interface PeerMetrics {
  readonly docId: string;
  /** The peer's server connection id (its address for signaling). */
  readonly connectionId: string;
  readonly userId: string;
  /** The peer's access level on the document, as the server reported it. */
  readonly level: Level;
  /** State of the current (or last) direct link; 'idle' when none was tried yet. */
  readonly state: LinkState | 'idle';
  /** How this peer's traffic reaches us right now. */
  readonly transport: 'p2p' | 'server';
  /** Data-channel ping → pong, ms. */
  readonly rtt: LatencySummary;
  /** ms from starting the last link until it opened, if it did. */
  readonly setupMs: number | undefined;
  /** Links tried with this peer (1 + retries). */
  readonly attempts: number;
  /** Remote events this peer delivered that were new here. */
  readonly eventsReceived: number;
  readonly eventsSent: number;
  readonly presenceReceived: number;
  /** Messages from this peer refused (edits from a viewer or commenter, events under a foreign agent). */
  readonly refused: number;
  /** Frames from this peer that were not valid messages. */
  readonly invalid: number;
  /** Why the last link ended, if it did. */
  readonly lastError: string | undefined;
}

export interface P2PMetricsSnapshot {
  /** Whether peer-to-peer sync is on for this client. */
  readonly enabled: boolean;
  readonly peers: readonly PeerMetrics[];
  /** Remote events whose first arrival was over a data channel. */
  readonly eventsViaP2P: number;
  /** Remote events whose first arrival was from the server. */
  readonly eventsViaServer: number;
  /** Peer messages refused, all peers. */
  readonly refused: number;
  /** Invalid peer frames and malformed signals, all peers. */
  readonly invalid: number;
  /** Signals about links from connections the server did not introduce on that document. */
  readonly ignored: number;
}

export class P2PMetrics {
  enabled = false;
  eventsViaP2P = 0;
  eventsViaServer = 0;
  refused = 0;
  invalid = 0;
  ignored = 0;
  /** Each open document's mesh reports its peers through one of these. */
  private readonly sources = new Set<() => readonly PeerMetrics[]>();

  /** Registers a source of peer records; returns the function that removes it. */
  addSource(source: () => readonly PeerMetrics[]): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  snapshot(): P2PMetricsSnapshot {
    const peers: PeerMetrics[] = [];
    for (const source of this.sources) peers.push(...source());
    return {
      enabled: this.enabled,
      peers,
      eventsViaP2P: this.eventsViaP2P,
      eventsViaServer: this.eventsViaServer,
      refused: this.refused,
      invalid: this.invalid,
      ignored: this.ignored,
    };
  }
}
