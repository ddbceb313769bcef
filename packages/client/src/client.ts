/**
 * TandemClient is the SDK's entry point: one connection to a Tandem server shared by every
 * document it opens, the connection status and metrics, and the routing of server messages to
 * documents. Opening a document needs no network: it loads what the offline store has (the last
 * known server state and unacknowledged edits) and is editable at once; syncing follows whenever
 * the connection is up.
 */
import { Doc, agentId, type Event } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { Connection, type ConnectionStatus } from './connection/connection.js';
import { TandemDocument } from './document/tandem-document.js';
import { ClientMetrics, type MetricsSnapshot } from './metrics/client-metrics.js';
import { resolveOptions, type ClientOptions, type OpenOptions, type ResolvedOptions } from './options.js';
import { DocumentSync } from './sync/document-sync.js';
import { DocumentPersistence } from './sync/persistence.js';
import { ReplicaPair } from './sync/replica-pair.js';
import { PeerMesh } from './p2p/peer-mesh.js';
import { isPeerSignal } from './p2p/peer-wire.js';
import type { TabPresence } from './tabs/tab-channel.js';
import { Emitter } from './util/emitter.js';
import { randomId } from './util/random-id.js';
import { TokenBucket } from './util/token-bucket.js';

/** The SDK's name and version, sent in `hello`. */
export const CLIENT_INFO = { name: '@tandem/client', version: '0.1.0' } as const;

export type ClientEvents = {
  status: [status: ConnectionStatus];
  /** A connection attempt starts. */
  attempt: [info: { readonly attempt: number; readonly at: number }];
  /** A reconnect is scheduled. */
  retry: [info: { readonly attempt: number; readonly delayMs: number }];
  /** A server message no open document claimed (room events, signaling). */
  message: [message: ServerMessage];
  error: [error: Error];
};

export class TandemClient extends Emitter<ClientEvents> {
  private readonly options: ResolvedOptions;
  private readonly connection: Connection;
  private readonly liveMetrics: ClientMetrics;
  private readonly documents = new Map<string, TandemDocument>();
  /** Peer-to-peer meshes of open documents (when P2P is on). */
  private readonly meshes = new Map<string, PeerMesh>();
  private readonly opening = new Map<string, Promise<TandemDocument>>();
  private readonly operationBudget: TokenBucket;
  private user: { readonly id: string; readonly name: string; readonly color: string } | undefined;
  /** This client's id on the tab channel. */
  readonly tabId = randomId(12);
  private closed = false;

  constructor(options: ClientOptions) {
    super();
    this.options = resolveOptions(options);
    const o = this.options;
    this.liveMetrics = new ClientMetrics(o.metricsWindow);
    this.liveMetrics.p2p.enabled = o.p2p !== undefined;
    const monotonic = (): number => performance.now();
    this.operationBudget = new TokenBucket(o.maxOperationsPerSecond, o.maxOperationsPerSecond * 2, monotonic);
    this.connection = new Connection({
      url: o.url,
      WebSocket: o.WebSocket,
      fallback: o.fallback,
      fallbackAfterFailures: o.fallbackAfterFailures,
      upgradeProbeMs: o.upgradeProbeMs,
      token: o.token,
      devUser: o.devUser,
      clientInfo: CLIENT_INFO,
      backoff: o.backoff,
      random: o.random,
      monotonic,
      heartbeatMs: o.heartbeatMs,
      heartbeatTimeoutMs: o.heartbeatTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      stableAfterMs: o.stableAfterMs,
      network: o.network,
      metrics: this.liveMetrics,
    });
    this.connection.on('status', (s) => this.emit('status', s));
    this.connection.on('attempt', ({ attempt }) => this.emit('attempt', { attempt, at: Date.now() }));
    this.connection.on('retry', (info) => this.emit('retry', info));
    this.connection.on('error', (err) => this.emit('error', err));
    this.connection.on('ready', (welcome) => {
      this.user = welcome.user;
      for (const doc of this.documents.values()) doc.connectionReady();
    });
    this.connection.on('down', () => {
      for (const mesh of this.meshes.values()) mesh.reset();
      for (const doc of this.documents.values()) doc.connectionDown();
    });
    this.connection.on('message', (m) => this.route(m));
    if (o.autoConnect) this.connection.start();
  }

  /** The connection status: 'connecting', 'connected', 'reconnecting' or 'offline'. */
  get status(): ConnectionStatus {
    return this.connection.status;
  }

  /** RTT and event round-trip percentiles, bytes in/out, reconnects, transport in use. */
  get metrics(): MetricsSnapshot {
    return this.liveMetrics.snapshot();
  }

  /** The raw latency samples in the metrics window (for aggregating across clients). */
  metricSamples(): { readonly rtt: number[]; readonly eventRoundTrip: number[] } {
    return { rtt: this.liveMetrics.rtt.samples(), eventRoundTrip: this.liveMetrics.eventRoundTrip.samples() };
  }

  /** The user the server knows this client as (after the first handshake). */
  get me(): { readonly id: string; readonly name: string; readonly color: string } | undefined {
    return this.user;
  }

  /** Starts connecting (only needed with `autoConnect: false`, or after `disconnect`). */
  connect(): void {
    if (!this.closed) this.connection.start();
  }

  /** Drops the connection and stops reconnecting; documents stay open and editable offline. */
  disconnect(): void {
    this.connection.stop();
  }

  /** Retries at once instead of waiting out the backoff. */
  reconnectNow(): void {
    this.connection.reconnectNow();
  }

  /**
   * Opens a document: loads what the offline store has and returns at once, editable; syncing
   * starts when connected. Opening an open document returns the same object.
   */
  open(docId: string, options: OpenOptions = {}): Promise<TandemDocument> {
    if (this.closed) return Promise.reject(new Error('this client is closed'));
    const open = this.documents.get(docId);
    if (open !== undefined) return Promise.resolve(open);
    let opening = this.opening.get(docId);
    if (opening === undefined) {
      opening = this.load(docId, options).finally(() => this.opening.delete(docId));
      this.opening.set(docId, opening);
    }
    return opening;
  }

  /** Closes every document (saving unacknowledged edits) and the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.opening.values()]);
    await Promise.all([...this.documents.values()].map((d) => d.close()));
    this.connection.stop();
    if (this.options.ownsTabs) this.options.tabs?.close();
    this.removeAll();
  }

  private async load(docId: string, options: OpenOptions): Promise<TandemDocument> {
    const o = this.options;
    const storage = o.storage;
    const [state, pending] = storage === undefined ? [undefined, []] : await Promise.all([storage.loadServerState(docId), storage.loadPending(docId)]);
    // A fresh agent for every document session: an agent's events must form one sequence, and
    // two tabs (or a tab and its reloaded self) sharing one would fork it.
    const agent = agentId(randomId(16));
    let confirmed = ReplicaPair.confirmedFrom(undefined);
    const docOptions = o.undo === undefined ? { agent } : { agent, undo: o.undo };
    let doc = new Doc(docOptions);
    let serverVersion = 0;
    if (state !== undefined) {
      try {
        const savedConfirmed = ReplicaPair.confirmedFrom(state.snapshot);
        doc = Doc.decode(state.snapshot, docOptions);
        confirmed = savedConfirmed;
        serverVersion = state.serverVersion;
      } catch (err) {
        // A damaged snapshot costs a full download, not the document.
        this.emit('error', new Error(`saved state of ${docId} is unreadable, syncing from scratch: ${err instanceof Error ? err.message : String(err)}`));
      }
    }
    const restored: Event[] = pending.filter((e) => !confirmed.has(e.id));
    if (restored.length > 0) doc.receive(restored, { buffer: true });
    if (this.closed) throw new Error('this client is closed');
    const sync = new DocumentSync(
      docId,
      { replicas: new ReplicaPair(doc, confirmed), serverVersion, restored },
      {
        send: (m) => this.connection.send(m),
        limits: () => {
          const w = this.connection.welcome;
          return w === undefined ? undefined : w.limits;
        },
        reserve: () => this.operationBudget.take(),
        snapshots: () => (this.connection.welcome?.protocol ?? 1) >= 2,
      },
      {
        tabGraceMs: o.tabGraceMs,
        retryDelayMs: o.retryDelayMs,
        ackTimeoutMs: o.ackTimeoutMs,
        monotonic: () => performance.now(),
        now: () => Date.now(),
        newId: () => randomId(12),
        metrics: this.liveMetrics,
      },
      () => opened.presence.stateForJoin(),
      options.link,
    );
    const persistence = new DocumentPersistence(
      storage,
      docId,
      { pending: () => sync.pendingEvents(), serverState: () => sync.serverSnapshot() },
      o.stateSaveDelayMs,
      (err) => opened.emit('error', err),
    );
    let myPresence: TabPresence | null | undefined;
    const mesh =
      o.p2p === undefined
        ? undefined
        : new PeerMesh(
            {
              docId,
              send: (m) => sync.joined && this.connection.send(m),
              connectionId: () => this.connection.welcome?.connectionId,
              agent: () => agent,
              receiveEvents: (events) => sync.receiveFromPeer(events),
              receivePresence: (_userId, presence) => opened.presence.directPresence(presence),
              linkChanged: (userId, open) => opened.presence.directLink(userId, open),
              myPresence: () => myPresence,
              metrics: this.liveMetrics.p2p,
              monotonic: () => performance.now(),
              random: o.random,
              newId: () => randomId(12),
            },
            o.p2p,
          );
    if (mesh !== undefined) {
      this.meshes.set(docId, mesh);
      sync.on('joined', () => mesh.announce());
      sync.on('local', (events) => mesh.sendEvents(events));
    }
    const opened: TandemDocument = new TandemDocument(docId, {
      sync,
      persistence,
      presence: o.presence,
      initialPresence: options.presence,
      tabs: o.tabs,
      tabId: this.tabId,
      send: (m) => this.connection.send(m),
      me: () => this.user,
      now: () => Date.now(),
      closed: () => {
        this.documents.delete(docId);
        mesh?.close();
        this.meshes.delete(docId);
      },
      ...(mesh !== undefined
        ? {
            sharePresence: (presence: TabPresence | null) => {
              myPresence = presence;
              mesh.sendPresence(presence);
            },
          }
        : {}),
    });
    this.documents.set(docId, opened);
    if (this.connection.ready) opened.connectionReady();
    return opened;
  }

  private route(message: ServerMessage): void {
    if (message.type === 'signal' && isPeerSignal(message.data)) {
      const mesh = this.meshes.get(message.docId);
      if (mesh !== undefined) {
        mesh.handleSignal(message);
        return;
      }
    }
    if (message.type === 'error' && message.ref === 'signal' && message.docId !== undefined) {
      const mesh = this.meshes.get(message.docId);
      if (mesh !== undefined) {
        mesh.signalFailed(message);
        return;
      }
    }
    const docId = targetDocument(message);
    if (docId !== undefined) {
      const doc = this.documents.get(docId);
      if (doc !== undefined) doc.handleServer(message);
      return;
    }
    if (message.type === 'error') {
      // RATE_LIMITED names no message: any document may have lost its operation or join.
      if (message.code === 'RATE_LIMITED') for (const doc of this.documents.values()) doc.messageDropped();
      this.emit('error', new Error(`${message.code}: ${message.message}`));
      return;
    }
    this.emit('message', message);
  }
}

/** The document a server message is about, if it is about one. */
function targetDocument(message: ServerMessage): string | undefined {
  switch (message.type) {
    case 'session_joined':
    case 'operation_ack':
    case 'remote_operation':
    case 'remote_cursor':
    case 'sync':
      return message.docId;
    case 'error':
      return message.docId;
    case 'presence':
    case 'user_joined':
    case 'user_left':
      return message.scope === 'doc' ? message.id : undefined;
    default:
      return undefined;
  }
}
