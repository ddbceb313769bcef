/**
 * PeerMesh owns the peer-to-peer side of one open document: learning the other connections on
 * the document from signals the server relays (the only trusted word on who a peer is: its
 * connection id, user and level), opening at most `maxPeers` direct links (the lower connection id
 * offers, so two peers never both do), sending this replica's own events and presence over every
 * open link, taking in what peers send (events only from editors and owners, under the agent the
 * peer declared), and retrying failed links with backoff. The server path never stops: every
 * event still goes to the server by its author, so a link that fails or drops costs latency only.
 */
import type { Event } from '@tandem/core';
import { SIGNAL_TO_ALL } from '@tandem/protocol';
import type { ClientMessage, ErrorMessage, Level, SignalRelayMessage } from '@tandem/protocol';
import { LatencyWindow } from '../metrics/latency-window.js';
import type { TabPresence } from '../tabs/tab-channel.js';
import { Timer } from '../util/timer.js';
import type { ResolvedP2P } from './p2p-options.js';
import type { P2PMetrics, PeerMetrics } from './p2p-metrics.js';
import { PeerLink } from './peer-link.js';
import { encodeSignal, parseSignal, type PeerMessage, type PeerSignal } from './peer-wire.js';

/** What a mesh needs from its document and client. */
export interface MeshHost {
  readonly docId: string;
  /** Sends on the server connection; false when there is none. */
  send(message: ClientMessage): boolean;
  /** This client's connection id on the live connection, if any. */
  connectionId(): string | undefined;
  /** The agent this replica's own events carry. */
  agent(): string;
  /** Applies a peer's events; returns how many were new. @throws when they conflict with ours. */
  receiveEvents(events: readonly Event[]): number;
  /** A peer's presence (its user id is the server-reported one). */
  receivePresence(userId: string, presence: TabPresence): void;
  /** A direct link with a connection of `userId` opened or closed. */
  linkChanged(userId: string, open: boolean): void;
  /** My presence now (for a link that just opened), or undefined before the server said who I am. */
  myPresence(): TabPresence | null | undefined;
  readonly metrics: P2PMetrics;
  monotonic(): number;
  random(): number;
  newId(): string;
}

const EDIT_LEVELS: ReadonlySet<Level> = new Set<Level>(['owner', 'editor']);

/** One other connection on the document, as introduced by the server. */
interface Peer {
  readonly connectionId: string;
  userId: string;
  level: Level;
  link: PeerLink | undefined;
  /** The agent the peer declared on the current link. */
  agent: string | undefined;
  /** Highest presence sequence number seen from this peer. */
  presenceSeq: number;
  /** Failed attempts in a row. */
  failures: number;
  attempts: number;
  readonly retry: Timer;
  readonly rtt: LatencyWindow;
  lastError: string | undefined;
  setupMs: number | undefined;
  eventsReceived: number;
  eventsSent: number;
  presenceReceived: number;
  refused: number;
  invalid: number;
}

export class PeerMesh {
  private readonly peers = new Map<string, Peer>();
  private presenceSeq = 0;
  private readonly removeSource: () => void;
  private closed = false;

  constructor(
    private readonly host: MeshHost,
    private readonly settings: ResolvedP2P,
  ) {
    this.removeSource = host.metrics.addSource(() => this.peerMetrics());
  }

  /** Joined the document on the server (again): introduce ourselves to everyone on it. */
  announce(): void {
    if (this.closed) return;
    this.host.send({ type: 'signal', docId: this.host.docId, to: SIGNAL_TO_ALL, data: encodeSignal({ kind: 'hello', reply: false }) });
  }

  /**
   * The server connection dropped: our connection id dies with it, so peers could no longer
   * reach us to renegotiate. Every link ends; the next join introduces us again.
   */
  reset(): void {
    for (const peer of this.peers.values()) this.drop(peer);
    this.peers.clear();
  }

  close(): void {
    if (this.closed) return;
    this.reset();
    this.closed = true;
    this.removeSource();
  }

  /** A peer-to-peer signal (see `isPeerSignal`) the server relayed to us on this document. */
  handleSignal(message: SignalRelayMessage): void {
    if (this.closed) return;
    const signal = parseSignal(message.data);
    if (signal === undefined) {
      this.host.metrics.invalid++;
      return;
    }
    const me = this.host.connectionId();
    if (me === undefined || message.from === me) return;
    // The server filled in from, userId and level: this is the introduction we trust.
    let peer = this.peers.get(message.from);
    if (peer === undefined) {
      peer = this.newPeer(message.from, message.userId, message.level);
      this.peers.set(message.from, peer);
    } else {
      peer.userId = message.userId;
      peer.level = message.level;
    }
    this.onSignal(peer, signal, me);
  }

  /** The server could not deliver one of our signals (the target left the document). */
  signalFailed(error: ErrorMessage): void {
    const match = /no connection ("(?:[^"\\]|\\.)*")/.exec(error.message);
    if (match === null) return;
    let target: unknown;
    try {
      target = JSON.parse(match[1]!);
    } catch {
      return;
    }
    if (typeof target !== 'string') return;
    const peer = this.peers.get(target);
    if (peer === undefined) return;
    this.drop(peer);
    this.peers.delete(target);
  }

  /** Our own new events: to every open link (the server gets them from the sync layer as always). */
  sendEvents(events: readonly Event[]): void {
    const agent = this.host.agent();
    const own = events.filter((e) => e.id.agent === agent);
    if (own.length === 0) return;
    for (const peer of this.peers.values()) {
      if (peer.link?.send({ k: 'ev', events: own }) === true) peer.eventsSent += own.length;
    }
  }

  /** My presence changed (null: I left the document). */
  sendPresence(presence: TabPresence | null): void {
    if (this.closed) return;
    const message: PeerMessage = { k: 'pr', seq: ++this.presenceSeq, presence };
    for (const peer of this.peers.values()) peer.link?.send(message);
  }

  // ----- signaling -----

  private onSignal(peer: Peer, signal: PeerSignal, me: string): void {
    switch (signal.kind) {
      case 'hello':
        // A peer (re)joined: it may have been given up on, and it deserves a fresh start.
        if (!signal.reply) {
          this.signal(peer, { kind: 'hello', reply: true });
          peer.failures = 0;
          peer.retry.clear();
        }
        this.maybeConnect(peer, me);
        return;
      case 'offer': {
        // Only the lower connection id offers; an offer the other way round is ignored (ours wins).
        if (!(peer.connectionId < me)) {
          this.host.metrics.ignored++;
          return;
        }
        if (peer.link === undefined && this.activeLinks() >= this.settings.maxPeers) {
          this.signal(peer, { kind: 'bye' });
          return;
        }
        if (peer.link !== undefined) this.endLink(peer, 'replaced by a new offer');
        const link = this.startLink(peer, signal.link, 'answerer');
        void link.acceptOffer(signal.sdp);
        return;
      }
      case 'answer':
        if (peer.link !== undefined && peer.link.id === signal.link) void peer.link.acceptAnswer(signal.sdp);
        else this.host.metrics.ignored++;
        return;
      case 'candidate':
        if (peer.link !== undefined && peer.link.id === signal.link) void peer.link.addCandidate(signal.candidate);
        else this.host.metrics.ignored++;
        return;
      case 'bye':
        if (peer.link !== undefined && peer.link.state === 'connecting') peer.link.close('peer declined (mesh full)');
        return;
    }
  }

  private signal(peer: Peer, signal: PeerSignal): void {
    this.host.send({ type: 'signal', docId: this.host.docId, to: peer.connectionId, data: encodeSignal(signal) });
  }

  /** Opens a link to `peer` if it is ours to offer and there is room. */
  private maybeConnect(peer: Peer, me: string | undefined = this.host.connectionId()): void {
    if (this.closed || me === undefined || !(me < peer.connectionId)) return;
    if (peer.link !== undefined || peer.retry.pending) return;
    if (peer.failures >= this.settings.maxAttempts) return;
    if (this.activeLinks() >= this.settings.maxPeers || this.offering() >= this.settings.maxConcurrentOffers) return;
    this.startLink(peer, this.host.newId(), 'offerer');
  }

  /** A link finished setting up (or ended): peers waiting for a turn may start now. */
  private nextOffers(): void {
    if (this.closed) return;
    for (const peer of this.peers.values()) {
      if (this.offering() >= this.settings.maxConcurrentOffers) return;
      this.maybeConnect(peer);
    }
  }

  private offering(): number {
    let n = 0;
    for (const peer of this.peers.values()) if (peer.link?.role === 'offerer' && peer.link.state === 'connecting') n++;
    return n;
  }

  private startLink(peer: Peer, id: string, role: 'offerer' | 'answerer'): PeerLink {
    peer.attempts++;
    peer.agent = undefined;
    const link: PeerLink = new PeerLink(
      id,
      role,
      this.settings,
      {
        signal: (s) => this.signal(peer, s),
        message: (m) => this.onMessage(peer, m),
        invalid: () => {
          peer.invalid++;
          this.host.metrics.invalid++;
        },
        opened: () => this.onOpened(peer, link),
        ended: (_state, reason) => this.onEnded(peer, link, reason),
      },
      () => this.host.monotonic(),
      peer.rtt,
    );
    peer.link = link;
    return link;
  }

  private onOpened(peer: Peer, link: PeerLink): void {
    peer.failures = 0;
    peer.setupMs = link.setupMs;
    link.send({ k: 'hi', agent: this.host.agent() });
    const presence = this.host.myPresence();
    if (presence !== undefined) link.send({ k: 'pr', seq: ++this.presenceSeq, presence });
    this.host.linkChanged(peer.userId, true);
    this.nextOffers();
  }

  private onEnded(peer: Peer, link: PeerLink, reason: string): void {
    const wasOpen = link.setupMs !== undefined;
    peer.lastError = reason;
    if (peer.link !== link) return;
    peer.link = undefined;
    peer.agent = undefined;
    if (wasOpen) this.host.linkChanged(peer.userId, false);
    if (this.closed) return;
    queueMicrotask(() => this.nextOffers());
    if (this.peers.get(peer.connectionId) !== peer) return;
    // A link that had worked is retried soon; one that never opened backs off further each time.
    if (!wasOpen) peer.failures++;
    if (peer.failures >= this.settings.maxAttempts) return;
    const exp = Math.min(this.settings.retryMaxMs, this.settings.retryBaseMs * 2 ** Math.max(0, peer.failures - 1));
    const me = this.host.connectionId();
    // The offering side tries again. The other side asks for that (a reply-hello), which also
    // finds out whether the peer is still there: the server answers NOT_FOUND if it left.
    const retry = me !== undefined && me < peer.connectionId ? () => this.maybeConnect(peer) : () => this.signal(peer, { kind: 'hello', reply: true });
    peer.retry.set(exp * (0.5 + this.host.random() / 2), retry);
  }

  private endLink(peer: Peer, reason: string): void {
    const link = peer.link;
    if (link === undefined) return;
    peer.link = undefined;
    link.close(reason);
    if (link.setupMs !== undefined) this.host.linkChanged(peer.userId, false);
  }

  private drop(peer: Peer): void {
    peer.retry.clear();
    this.endLink(peer, 'peer forgotten');
  }

  private activeLinks(): number {
    let n = 0;
    for (const peer of this.peers.values()) if (peer.link !== undefined) n++;
    return n;
  }

  // ----- data -----

  private onMessage(peer: Peer, message: PeerMessage): void {
    switch (message.k) {
      case 'hi':
        if (peer.agent !== undefined || message.agent === this.host.agent()) return this.refuse(peer);
        peer.agent = message.agent;
        return;
      case 'ev': {
        // Edits only from editors and owners, and only the peer's own (its declared agent).
        if (!EDIT_LEVELS.has(peer.level) || peer.agent === undefined || message.events.some((e) => e.id.agent !== peer.agent)) return this.refuse(peer);
        let fresh: number;
        try {
          fresh = this.host.receiveEvents(message.events);
        } catch {
          peer.invalid++;
          this.host.metrics.invalid++;
          return;
        }
        peer.eventsReceived += fresh;
        this.host.metrics.eventsViaP2P += fresh;
        return;
      }
      case 'pr':
        if (message.seq <= peer.presenceSeq) return;
        peer.presenceSeq = message.seq;
        peer.presenceReceived++;
        // The server's word on who the peer is wins over what it says about itself.
        if (message.presence !== null) this.host.receivePresence(peer.userId, { ...message.presence, userId: peer.userId });
        return;
      default:
        return;
    }
  }

  private refuse(peer: Peer): void {
    peer.refused++;
    this.host.metrics.refused++;
  }

  private newPeer(connectionId: string, userId: string, level: Level): Peer {
    return {
      connectionId,
      userId,
      level,
      link: undefined,
      agent: undefined,
      presenceSeq: -1,
      failures: 0,
      attempts: 0,
      retry: new Timer(),
      rtt: new LatencyWindow(256),
      lastError: undefined,
      setupMs: undefined,
      eventsReceived: 0,
      eventsSent: 0,
      presenceReceived: 0,
      refused: 0,
      invalid: 0,
    };
  }

  private peerMetrics(): PeerMetrics[] {
    const out: PeerMetrics[] = [];
    for (const p of this.peers.values()) {
      const link = p.link;
      out.push({
        docId: this.host.docId,
        connectionId: p.connectionId,
        userId: p.userId,
        level: p.level,
        state: link?.state ?? (p.attempts === 0 ? 'idle' : p.lastError !== undefined && p.failures > 0 ? 'failed' : 'closed'),
        transport: link?.state === 'open' ? 'p2p' : 'server',
        rtt: p.rtt.summary(),
        setupMs: p.setupMs,
        attempts: p.attempts,
        eventsReceived: p.eventsReceived,
        eventsSent: p.eventsSent,
        presenceReceived: p.presenceReceived,
        refused: p.refused,
        invalid: p.invalid,
        lastError: p.lastError,
      });
    }
    return out;
  }
}
