/**
 * createTandemServer is the composition root of the server: it opens storage, builds the services
 * (auth, permissions, documents, presence, metrics), serves HTTP (health, readiness, metrics, REST,
 * the web app) and WebSockets on one port, runs the timers (heartbeats, presence, idle documents,
 * snapshots), and shuts down cleanly: stop accepting, finish queued writes, close storage.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Doc } from '@tandem/core';
import { CloseCode } from '@tandem/protocol';
import { WebSocketServer } from 'ws';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { Authenticator, PermissionService, tokenFromRequest } from './auth/index.js';
import type { ServerConfig } from './config.js';
import { ServerMetrics } from './metrics.js';
import { Connection, remoteOf } from './net/connection.js';
import { SseTransport, readBody } from './net/sse-transport.js';
import { WebSocketTransport } from './net/transport.js';
import { HistoryService } from './history/history-service.js';
import { restApi } from './http/rest-api.js';
import { staticFiles } from './http/static-files.js';
import { ClusterNode } from './cluster/cluster-node.js';
import { PresenceHub } from './presence-hub.js';
import { openStore } from './storage/open-store.js';
import type { DocStore } from './storage/doc-store.js';
import { DocumentRegistry } from './sync/document-registry.js';
import { SERVER_AGENT_PREFIX } from './sync/document-session.js';
import type { DocumentSession } from './sync/document-session.js';
import { randomBytes } from 'node:crypto';

export const SERVER_VERSION = '0.1.0';

/** Handles an HTTP request if it is one of its routes; resolves false to pass it on. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export interface ServerServices {
  readonly config: ServerConfig;
  readonly store: DocStore;
  readonly registry: DocumentRegistry;
  readonly authenticator: Authenticator;
  readonly permissions: PermissionService;
  readonly presence: PresenceHub;
  /** Version history: checkpoints, named versions, text at a version, attributed diffs, restore. */
  readonly history: HistoryService;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
}

export interface TandemServer {
  readonly services: ServerServices;
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number>;
  /** The bound port (after listen). */
  readonly port: number;
  /** Clean shutdown: refuse new work, finish queued writes, close connections and storage. */
  close(): Promise<void>;
}

export interface CreateServerOptions {
  readonly logger?: Logger;
  /** Extra HTTP routes (REST API, static files), tried in order before 404. */
  readonly routes?: readonly ((services: ServerServices) => HttpHandler)[];
  /** A store to use instead of opening `config.storage` (tests, embedding); the server closes it. */
  readonly store?: DocStore;
}

export async function createTandemServer(config: ServerConfig, options: CreateServerOptions = {}): Promise<TandemServer> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  if (config.auth.mode === 'dev') {
    logger.warn('DEV MODE: no JWT secret or JWKS URL configured — clients name themselves. Never run this in production.');
  }
  const store = options.store ?? (await openStore(config.storage, config.storageSchema !== undefined ? { schema: config.storageSchema } : {}));
  const metrics = new ServerMetrics();
  const authenticator = new Authenticator(config.auth);
  const permissions = new PermissionService(store);
  const connections = new Map<string, Connection>();
  // With a Redis URL: a node of a cluster sharing the storage (a single node gets inert hooks).
  const cluster = new ClusterNode(config, logger, metrics.registry);
  const presence = new PresenceHub({
    store,
    logger,
    deliver: (connectionId, message) => connections.get(connectionId)?.send(message),
    room: config.presence,
    ...(cluster.presence !== undefined ? { observer: cluster.presence } : {}),
  });
  const serverAgent = `${SERVER_AGENT_PREFIX}srv:${randomBytes(6).toString('base64url')}`;
  const sinceSnapshot = new Map<string, number>();
  const registry = new DocumentRegistry(store, {
    serverAgent,
    idleMs: config.idleDocumentMs,
    decode: (bytes, agent) => Doc.decode(bytes, { agent }),
    ...cluster.registryHooks(),
    onCommit: (session, committed, textOps, origin) => {
      for (const [text, op] of textOps) presence.textEdited(session.docId, session.version, text, op);
      cluster.committed(session, origin);
      // Checkpoints and snapshots are the work of the node that wrote the events.
      if (origin === 'remote') return;
      history.onCommit(session);
      const n = (sinceSnapshot.get(session.docId) ?? 0) + committed;
      if (n >= config.snapshotEvery) {
        sinceSnapshot.set(session.docId, 0);
        void saveSnapshot(session, store, logger);
      } else {
        sinceSnapshot.set(session.docId, n);
      }
    },
  });
  const history = new HistoryService({ store, registry, config: config.history, logger });
  const services: ServerServices = { config, store, registry, authenticator, permissions, presence, history, metrics, logger };
  // The REST API first: extra routes (the web app's static files) must not shadow /api/.
  const routes = [restApi(services), ...(options.routes ?? []).map((make) => make(services))];
  // The built web app last: its SPA fallback answers every other page URL with index.html.
  if (config.staticDir !== undefined) routes.push(staticFiles(config.staticDir));

  // Node checks header and request timeouts only every connectionsCheckingInterval (30 s by
  // default), which would let a slowloris client hold a socket far past headersTimeoutMs.
  const timeoutCheckMs = Math.max(10, Math.min(1_000, Math.floor(Math.min(config.limits.headersTimeoutMs, config.limits.requestTimeoutMs) / 4)));
  const http: Server = createServer({ connectionsCheckingInterval: timeoutCheckMs }, (req, res) => {
    void handleHttp(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'HTTP handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
      else res.end();
    });
  });
  http.headersTimeout = config.limits.headersTimeoutMs;
  http.requestTimeout = config.limits.requestTimeoutMs;
  http.keepAliveTimeout = 5_000;

  let closing = false;
  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (url.pathname === '/readyz') {
      try {
        await store.head('__readyz__' as never);
        sendJson(res, closing ? 503 : 200, { status: closing ? 'closing' : 'ready' });
      } catch {
        sendJson(res, 503, { status: 'storage unavailable' });
      }
      return;
    }
    if (url.pathname === '/metrics') {
      metrics.connections.set(connections.size);
      metrics.openDocuments.set(registry.size);
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    if (url.pathname === '/sse' && req.method === 'GET') {
      openSse(req, res);
      return;
    }
    if (url.pathname === '/rpc' && req.method === 'POST') {
      await postRpc(req, res, url);
      return;
    }
    for (const route of routes) if (await route(req, res, url)) return;
    sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route for ${req.method ?? 'GET'} ${url.pathname}` } });
  }

  const connectionDeps = { config, registry, authenticator, permissions, metrics, logger, presence, connections, serverVersion: SERVER_VERSION, ...cluster.connectionHooks() };
  /** SSE fallback streams by session id, for routing their POSTs. */
  const sseStreams = new Map<string, SseTransport>();

  /** `GET /sse`: opens a server-sent events stream that a Connection speaks over. */
  function openSse(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (origin !== undefined && config.allowedOrigins.length > 0 && !config.allowedOrigins.includes(origin)) {
      sendJson(res, 403, { error: { code: 'PERMISSION_DENIED', message: `origin ${origin} is not allowed` } });
      return;
    }
    if (closing || connections.size >= config.limits.maxConnections) {
      sendJson(res, 503, { error: { code: 'LIMIT_EXCEEDED', message: 'server is not accepting connections' } });
      return;
    }
    const transport = new SseTransport(res);
    const conn = new Connection(transport, tokenFromRequest(req), connectionDeps, remoteOf(req));
    connections.set(conn.id, conn);
    sseStreams.set(transport.sid, transport);
    metrics.connections.set(connections.size);
    transport.onClose(() => {
      connections.delete(conn.id);
      sseStreams.delete(transport.sid);
      metrics.connections.set(connections.size);
    });
  }

  /** `POST /rpc?sid=…`: client messages (a JSON array, or one message) for an SSE stream. */
  async function postRpc(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const transport = sseStreams.get(url.searchParams.get('sid') ?? '');
    if (transport === undefined || transport.closed) {
      sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'no open event stream with that sid: open GET /sse first' } });
      return;
    }
    const body = await readBody(req, config.limits.maxMessageBytes * 4);
    if (body === undefined) {
      sendJson(res, 413, { error: { code: 'MESSAGE_TOO_BIG', message: `request body over ${config.limits.maxMessageBytes * 4} bytes` } });
      return;
    }
    let messages: unknown;
    try {
      messages = JSON.parse(body);
    } catch {
      sendJson(res, 400, { error: { code: 'BAD_MESSAGE', message: 'body must be JSON: a message or an array of messages' } });
      return;
    }
    const list = Array.isArray(messages) ? messages : [messages];
    if (list.length > 256) {
      sendJson(res, 413, { error: { code: 'LIMIT_EXCEEDED', message: 'at most 256 messages per request' } });
      return;
    }
    // Each message goes through the same edge validation as a WebSocket frame.
    for (const m of list) transport.deliver(JSON.stringify(m));
    res.writeHead(204);
    res.end();
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: config.limits.maxMessageBytes, perMessageDeflate: false });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws') {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && config.allowedOrigins.length > 0 && !config.allowedOrigins.includes(origin)) {
      logger.warn({ origin }, 'refused a connection from a disallowed origin');
      rejectUpgrade(socket, 403, 'Forbidden');
      return;
    }
    if (closing || connections.size >= config.limits.maxConnections) {
      rejectUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const transport = new WebSocketTransport(ws, socket);
      const conn = new Connection(transport, tokenFromRequest(req), connectionDeps, remoteOf(req));
      connections.set(conn.id, conn);
      metrics.connections.set(connections.size);
      transport.onClose(() => {
        connections.delete(conn.id);
        metrics.connections.set(connections.size);
      });
    });
  });

  // Heartbeats: ping everyone; drop who has been silent for two intervals.
  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const conn of connections.values()) {
      if (now - conn.lastSeen > 2 * config.limits.heartbeatMs) {
        logger.info({ conn: conn.id }, 'dropping a silent connection');
        conn.terminate();
        connections.delete(conn.id);
      } else {
        conn.ping();
      }
    }
  }, config.limits.heartbeatMs);
  heartbeat.unref();
  const presenceTick = setInterval(() => presence.tick(Date.now()), 1_000);
  presenceTick.unref();
  const sweep = setInterval(() => void registry.sweep(Date.now()), Math.max(1_000, Math.floor(config.idleDocumentMs / 2)));
  sweep.unref();
  await cluster.start({ registry, presence, connections });

  let port = 0;
  return {
    services,
    get port() {
      return port;
    },
    listen: () =>
      new Promise<number>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => {
          port = (http.address() as AddressInfo).port;
          logger.info({ port, host: config.host, storage: redact(config.storage) }, 'Tandem server listening');
          resolve(port);
        });
      }),
    close: async () => {
      if (closing) return;
      closing = true;
      clearInterval(heartbeat);
      clearInterval(presenceTick);
      clearInterval(sweep);
      // Stop accepting, let queued writes finish (their acks go out), then close the clients.
      const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      await registry.drain();
      for (const session of registry.all()) await saveSnapshot(session, store, logger);
      await history.close();
      for (const conn of connections.values()) conn.close(CloseCode.GoingAway, 'server shutting down');
      connections.clear();
      wss.close();
      presence.close();
      http.closeAllConnections();
      await httpClosed;
      // After the connections: their presence leaves reach the other nodes before the bus closes.
      await cluster.close();
      await store.close();
      logger.info('Tandem server closed');
    },
  };
}

async function saveSnapshot(session: DocumentSession, store: DocStore, logger: Logger): Promise<void> {
  try {
    const { version, bytes } = await session.snapshot();
    await store.saveSnapshot(session.docId, { version, bytes });
  } catch (err) {
    logger.warn({ err, docId: session.docId }, 'snapshot failed (the event log is intact)');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
