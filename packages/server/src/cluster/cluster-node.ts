/**
 * ClusterNode is this server's membership in a cluster: it builds the bus (RedisBus with a Redis
 * URL, else LocalBus and nothing else) and the parts that use it (DocFollower for documents,
 * PresenceRelay for presence and room events, SignalRelay for signaling), routes what the bus
 * delivers to them, runs the heartbeat, and exposes the hooks the server wires into its registry,
 * presence hub and connections. A single node gets inert hooks: its behaviour is unchanged.
 */
import { randomBytes } from 'node:crypto';
import type { DocId } from '@tandem/core';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { Connection, ConnectionDeps } from '../net/connection.js';
import type { PresenceHub } from '../presence-hub.js';
import type { DocumentRegistry, RegistryOptions } from '../sync/document-registry.js';
import type { DocumentSession } from '../sync/document-session.js';
import { LocalBus } from './cluster-bus.js';
import type { ClusterBus } from './cluster-bus.js';
import { DocFollower } from './doc-follower.js';
import { PresenceRelay } from './presence-relay.js';
import { RedisBus } from './redis-bus.js';
import { SignalRelay } from './signal-relay.js';

export interface ClusterStartDeps {
  readonly registry: DocumentRegistry;
  readonly presence: PresenceHub;
  readonly connections: ReadonlyMap<string, Connection>;
}

export class ClusterNode {
  readonly bus: ClusterBus;
  /** Present in a cluster only: the hub's observer. */
  readonly presence: PresenceRelay | undefined;
  private readonly follower: DocFollower | undefined;
  private signals: SignalRelay | undefined;
  private registryRef: DocumentRegistry | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: ServerConfig,
    private readonly logger: Logger,
    metrics: Registry,
  ) {
    const cluster = config.cluster;
    if (cluster === undefined) {
      this.bus = new LocalBus();
      return;
    }
    this.bus = new RedisBus({
      url: cluster.redisUrl,
      nodeId: cluster.nodeId,
      epoch: randomBytes(8).toString('base64url'),
      prefix: cluster.prefix,
      nodeTimeoutMs: cluster.nodeTimeoutMs,
      logger,
    });
    this.follower = new DocFollower({ bus: this.bus, logger, pollMs: cluster.pollMs });
    this.presence = new PresenceRelay({
      bus: this.bus,
      nodeTimeoutMs: cluster.nodeTimeoutMs,
      logger,
      docs: {
        version: (docId) => this.registryRef?.get(docId as DocId)?.version,
        opsAfter: (docId, v) => this.registryRef?.get(docId as DocId)?.otAfter(v),
      },
    });
    const bus = this.bus;
    new Gauge({
      name: 'tandem_cluster_bus_connected',
      help: 'Whether this node reaches the cluster bus (Redis) in both directions (1) or not (0)',
      registers: [metrics],
      collect() {
        this.set(bus.healthy ? 1 : 0);
      },
    });
  }

  get clustered(): boolean {
    return this.bus.clustered;
  }

  /** Options for the document registry: catch-up behaviour and the follower's hooks. */
  registryHooks(): Pick<RegistryOptions, 'clustered' | 'beforeLoad' | 'onLoaded' | 'onClosed'> {
    const f = this.follower;
    if (f === undefined) return {};
    return { clustered: true, beforeLoad: (docId) => f.beforeLoad(docId), onLoaded: (s) => f.loaded(s), onClosed: (docId) => f.closed(docId) };
  }

  /** Options for connections: signals to connections on other nodes. */
  connectionHooks(): Pick<ConnectionDeps, 'forwardSignal' | 'announceSignal'> {
    if (!this.bus.clustered) return {};
    return { forwardSignal: (signal) => this.signals?.forward(signal) ?? false, announceSignal: (signal) => this.signals?.announce(signal) };
  }

  /** After each batch a session takes in. */
  committed(session: DocumentSession, origin: 'local' | 'remote'): void {
    if (origin === 'local') this.follower?.committed(session.docId, session.version);
    this.presence?.docAdvanced(session.docId, session.version);
  }

  async start(deps: ClusterStartDeps): Promise<void> {
    const cluster = this.config.cluster;
    const presence = this.presence;
    const follower = this.follower;
    if (cluster === undefined || presence === undefined || follower === undefined) return;
    this.registryRef = deps.registry;
    follower.attach(deps.registry);
    presence.attach(deps.presence);
    this.signals = new SignalRelay({ bus: this.bus, connections: deps.connections, nodeOf: (docId, conn) => presence.nodeOf(docId, conn), nodesOn: (docId) => presence.nodesOn(docId) });
    const signals = this.signals;
    await this.bus.start({
      commit: (n) => follower.onNotice(n),
      presence: (room, m) => presence.onRelay(room, m),
      heartbeat: (b) => presence.onHeartbeat(b),
      direct: (m) => signals.onDirect(m),
      health: (healthy) => {
        follower.onHealth(healthy);
        if (healthy) presence.onReconnected();
      },
    });
    let beating = false;
    this.heartbeat = setInterval(() => {
      presence.checkPeers(Date.now());
      if (beating) return;
      beating = true;
      void presence.beat().finally(() => {
        beating = false;
      });
    }, cluster.heartbeatMs);
    this.heartbeat.unref();
    void presence.beat();
    this.logger.info({ node: this.bus.nodeId, redis: cluster.redisUrl.replace(/:[^:@/]*@/, ':***@'), connected: this.bus.healthy }, 'joined the cluster');
  }

  async close(): Promise<void> {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.follower?.close();
    await this.bus.close();
  }
}
