/**
 * Server configuration: every setting with its default, and the parser for command-line flags and
 * environment variables (flags win). Nothing reads the environment at import time: `parseConfig`
 * takes argv and env as arguments.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DEFAULT_MAX_PARENTS } from '@tandem/protocol';

export interface Limits {
  /** Largest WebSocket message accepted, in bytes (ws maxPayload; bigger closes with 1009). */
  readonly maxMessageBytes: number;
  /** Most events in one `operation` message. */
  readonly maxEventsPerMessage: number;
  /** Most components in one text operation. */
  readonly maxOpComponents: number;
  /**
   * Most parents of one event. A replica's event names its whole frontier, one head per writer it
   * merged concurrently, so this bounds concurrent writers per document (the sync core's default).
   */
  readonly maxParents: number;
  /** Token bucket per connection: sustained messages per second. */
  readonly ratePerSecond: number;
  /** Token bucket per connection: burst size. */
  readonly rateBurst: number;
  /** Most documents one connection may have joined at once. */
  readonly maxDocsPerConnection: number;
  /** Most rooms one connection may have joined at once. */
  readonly maxRoomsPerConnection: number;
  /** A connection that has not completed `hello` by then is closed (1008). */
  readonly handshakeTimeoutMs: number;
  /** Messages queued before the handshake completes; more closes the connection (1008). */
  readonly maxPreHandshakeMessages: number;
  /** Heartbeat interval; a peer silent for two intervals is dropped. */
  readonly heartbeatMs: number;
  /** A slow consumer whose send buffer passes this many bytes is disconnected (4009). */
  readonly maxBufferedBytes: number;
  /** Most simultaneous connections. */
  readonly maxConnections: number;
  /** HTTP header timeout (slowloris). */
  readonly headersTimeoutMs: number;
  /** HTTP request timeout. */
  readonly requestTimeoutMs: number;
  /** Largest REST request body, in bytes. */
  readonly maxBodyBytes: number;
}

export interface HistoryConfig {
  /** An automatic checkpoint every this many events… */
  readonly checkpointEvents: number;
  /** …or after this many ms of activity since the last one. */
  readonly checkpointMs: number;
}

/**
 * Scale-out: with a Redis URL the node joins a cluster of nodes sharing one PostgreSQL database
 * (see docs/deploy.md). Without one it runs alone, exactly as before.
 */
export interface ClusterConfig {
  /** `redis://…` or `rediss://…`: fan-out of commits, presence and signals between nodes. */
  readonly redisUrl: string;
  /** This node's id, unique in the cluster: letters, digits, `.`, `_`, `-` (1–64). */
  readonly nodeId: string;
  /** Prefix of every Redis key and channel, so several clusters can share one Redis. */
  readonly prefix: string;
  /** How often the node tells the others it is alive. */
  readonly heartbeatMs: number;
  /** A node silent this long is dead: its users leave presence everywhere. */
  readonly nodeTimeoutMs: number;
  /** While Redis is unreachable, open documents are caught up from storage this often. */
  readonly pollMs: number;
}

export const DEFAULT_CLUSTER = { prefix: 'tandem', heartbeatMs: 1_000, nodeTimeoutMs: 5_000, pollMs: 1_000 } as const;

/** Node ids go into Redis keys and connection routing: a conservative alphabet, no separators. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface PresenceConfig {
  /** A connection idle this long shows as away. */
  readonly awayAfterMs: number;
  /** A connection silent this long (no message, no pong) leaves presence: no ghost cursors. */
  readonly ttlMs: number;
  /** Presence and cursor broadcasts per second per connection (more are coalesced). */
  readonly maxUpdatesPerSecond: number;
}

export const DEFAULT_PRESENCE: PresenceConfig = { awayAfterMs: 60_000, ttlMs: 45_000, maxUpdatesPerSecond: 30 };

export type AuthConfig =
  | { readonly mode: 'dev' }
  | { readonly mode: 'hs256'; readonly secret: string; readonly issuer?: string; readonly audience?: string }
  | { readonly mode: 'jwks'; readonly url: string; readonly issuer?: string; readonly audience?: string };

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Storage URL: `sqlite:PATH`, `sqlite::memory:` or `postgres://…`. */
  readonly storage: string;
  /** PostgreSQL schema holding the tables (default "tandem"); ignored for SQLite. */
  readonly storageSchema?: string;
  readonly dataDir: string;
  readonly auth: AuthConfig;
  /** Allowed `Origin` values of browser connections; empty = any. */
  readonly allowedOrigins: readonly string[];
  readonly limits: Limits;
  readonly history: HistoryConfig;
  /** Write a snapshot every this many events so loads need not replay. */
  readonly snapshotEvery: number;
  /** Close a document session this long after its last client left. */
  readonly idleDocumentMs: number;
  readonly presence: PresenceConfig;
  /** Folder with the built web app to serve at `/`, if any. */
  readonly staticDir?: string;
  readonly logLevel: string;
  /** Set when the node runs in a cluster (Redis URL given); absent for a single node. */
  readonly cluster?: ClusterConfig;
}

export const DEFAULT_PORT = 4455;

export const DEFAULT_LIMITS: Limits = {
  maxMessageBytes: 1024 * 1024,
  maxEventsPerMessage: 1000,
  maxOpComponents: 10_000,
  maxParents: DEFAULT_MAX_PARENTS,
  ratePerSecond: 200,
  rateBurst: 400,
  maxDocsPerConnection: 64,
  maxRoomsPerConnection: 64,
  handshakeTimeoutMs: 10_000,
  maxPreHandshakeMessages: 16,
  heartbeatMs: 15_000,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxConnections: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxBodyBytes: 2 * 1024 * 1024,
};

export function defaultConfig(
  overrides: Partial<Omit<ServerConfig, 'limits' | 'presence'>> & { limits?: Partial<Limits>; presence?: Partial<PresenceConfig> } = {},
): ServerConfig {
  const dataDir = overrides.dataDir ?? './data';
  return {
    host: overrides.host ?? '127.0.0.1',
    port: overrides.port ?? DEFAULT_PORT,
    dataDir,
    storage: overrides.storage ?? `sqlite:${dataDir}/tandem.db`,
    ...(overrides.storageSchema !== undefined ? { storageSchema: overrides.storageSchema } : {}),
    auth: overrides.auth ?? { mode: 'dev' },
    allowedOrigins: overrides.allowedOrigins ?? [],
    limits: { ...DEFAULT_LIMITS, ...overrides.limits },
    history: overrides.history ?? { checkpointEvents: 500, checkpointMs: 5 * 60_000 },
    snapshotEvery: overrides.snapshotEvery ?? 1000,
    idleDocumentMs: overrides.idleDocumentMs ?? 30_000,
    presence: { ...DEFAULT_PRESENCE, ...overrides.presence },
    ...(overrides.staticDir !== undefined ? { staticDir: overrides.staticDir } : {}),
    logLevel: overrides.logLevel ?? 'info',
    ...(overrides.cluster !== undefined ? { cluster: overrides.cluster } : {}),
  };
}

interface Option {
  readonly flag: string;
  readonly env: string;
  readonly help: string;
}

const OPTIONS: readonly Option[] = [
  { flag: 'port', env: 'PORT', help: `port to listen on (default ${DEFAULT_PORT}; 0 = any free port)` },
  { flag: 'host', env: 'HOST', help: 'interface to bind (default 127.0.0.1; 0.0.0.0 for all)' },
  { flag: 'data-dir', env: 'TANDEM_DATA_DIR', help: 'data folder for SQLite (default ./data)' },
  { flag: 'storage', env: 'TANDEM_STORAGE', help: 'storage URL: sqlite:PATH (default sqlite:<data-dir>/tandem.db) or postgres://…' },
  { flag: 'storage-schema', env: 'TANDEM_STORAGE_SCHEMA', help: 'PostgreSQL schema for the tables (default tandem)' },
  { flag: 'jwt-secret', env: 'TANDEM_JWT_SECRET', help: 'HS256 secret for JWTs; without it (and without --jwks-url) the server runs in dev mode' },
  { flag: 'jwks-url', env: 'TANDEM_JWKS_URL', help: 'JWKS URL for RS256/ES256/EdDSA JWTs' },
  { flag: 'jwt-issuer', env: 'TANDEM_JWT_ISSUER', help: 'required JWT issuer (optional)' },
  { flag: 'jwt-audience', env: 'TANDEM_JWT_AUDIENCE', help: 'required JWT audience (optional)' },
  { flag: 'allowed-origins', env: 'TANDEM_ALLOWED_ORIGINS', help: 'comma-separated Origins allowed for browser connections (default: any)' },
  { flag: 'static-dir', env: 'TANDEM_STATIC_DIR', help: 'folder of the built web app to serve at /' },
  { flag: 'log-level', env: 'LOG_LEVEL', help: 'pino log level (default info)' },
  { flag: 'max-message-bytes', env: 'TANDEM_MAX_MESSAGE_BYTES', help: `largest message (default ${DEFAULT_LIMITS.maxMessageBytes})` },
  { flag: 'max-events-per-message', env: 'TANDEM_MAX_EVENTS_PER_MESSAGE', help: `default ${DEFAULT_LIMITS.maxEventsPerMessage}` },
  { flag: 'max-parents', env: 'TANDEM_MAX_PARENTS', help: `parents per event, i.e. concurrent writers per document (default ${DEFAULT_LIMITS.maxParents})` },
  { flag: 'rate-per-second', env: 'TANDEM_RATE_PER_SECOND', help: `messages per second per connection (default ${DEFAULT_LIMITS.ratePerSecond})` },
  { flag: 'rate-burst', env: 'TANDEM_RATE_BURST', help: `burst of messages per connection (default ${DEFAULT_LIMITS.rateBurst})` },
  { flag: 'max-docs-per-connection', env: 'TANDEM_MAX_DOCS_PER_CONNECTION', help: `default ${DEFAULT_LIMITS.maxDocsPerConnection}` },
  { flag: 'heartbeat-ms', env: 'TANDEM_HEARTBEAT_MS', help: `heartbeat interval (default ${DEFAULT_LIMITS.heartbeatMs})` },
  { flag: 'handshake-timeout-ms', env: 'TANDEM_HANDSHAKE_TIMEOUT_MS', help: `default ${DEFAULT_LIMITS.handshakeTimeoutMs}` },
  { flag: 'max-buffered-bytes', env: 'TANDEM_MAX_BUFFERED_BYTES', help: `slow-consumer bound (default ${DEFAULT_LIMITS.maxBufferedBytes})` },
  { flag: 'max-connections', env: 'TANDEM_MAX_CONNECTIONS', help: `default ${DEFAULT_LIMITS.maxConnections}` },
  { flag: 'snapshot-every', env: 'TANDEM_SNAPSHOT_EVERY', help: 'events between snapshots (default 1000)' },
  { flag: 'redis-url', env: 'TANDEM_REDIS_URL', help: 'redis://… : join a cluster of nodes sharing the PostgreSQL storage (see docs/deploy.md)' },
  { flag: 'node-id', env: 'TANDEM_NODE_ID', help: 'this node\'s id in the cluster (default <hostname>-<pid>-<random>)' },
  { flag: 'redis-prefix', env: 'TANDEM_REDIS_PREFIX', help: `prefix of Redis keys and channels (default ${DEFAULT_CLUSTER.prefix})` },
  { flag: 'cluster-heartbeat-ms', env: 'TANDEM_CLUSTER_HEARTBEAT_MS', help: `node heartbeat interval (default ${DEFAULT_CLUSTER.heartbeatMs})` },
  { flag: 'cluster-node-timeout-ms', env: 'TANDEM_CLUSTER_NODE_TIMEOUT_MS', help: `a node silent this long is dead (default ${DEFAULT_CLUSTER.nodeTimeoutMs})` },
  { flag: 'cluster-poll-ms', env: 'TANDEM_CLUSTER_POLL_MS', help: `catch-up polling of open documents while Redis is down (default ${DEFAULT_CLUSTER.pollMs})` },
];

export function helpText(): string {
  const lines = ['Usage: tandem-server [options]', '', 'Options (flag, environment variable):'];
  for (const o of OPTIONS) lines.push(`  --${o.flag.padEnd(26)} ${o.env.padEnd(30)} ${o.help}`);
  lines.push(`  --${'help'.padEnd(26)} ${''.padEnd(30)} show this help`);
  return lines.join('\n');
}

export class ConfigError extends Error {}

/** Parses flags (`--port 80` or `--port=80`) and environment variables into a configuration. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ServerConfig | 'help' {
  const values = new Map<string, string>();
  for (const o of OPTIONS) {
    const v = env[o.env];
    if (v !== undefined && v !== '') values.set(o.flag, v);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} (see --help)`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!OPTIONS.some((o) => o.flag === name)) throw new ConfigError(`unknown option --${name} (see --help)`);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(`option --${name} needs a value`);
    values.set(name, value);
  }
  const int = (flag: string): number | undefined => {
    const v = values.get(flag);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`--${flag} must be a non-negative integer, got ${JSON.stringify(v)}`);
    return n;
  };
  const secret = values.get('jwt-secret');
  const jwks = values.get('jwks-url');
  const issuer = values.get('jwt-issuer');
  const audience = values.get('jwt-audience');
  const claims = { ...(issuer !== undefined ? { issuer } : {}), ...(audience !== undefined ? { audience } : {}) };
  let auth: AuthConfig = { mode: 'dev' };
  if (secret !== undefined && jwks !== undefined) throw new ConfigError('give either --jwt-secret or --jwks-url, not both');
  if (secret !== undefined) {
    if (secret.length < 32) throw new ConfigError('--jwt-secret must be at least 32 characters');
    auth = { mode: 'hs256', secret, ...claims };
  } else if (jwks !== undefined) {
    auth = { mode: 'jwks', url: jwks, ...claims };
  }
  const limits: Partial<Limits> = {};
  const setLimit = (flag: string, key: keyof Limits): void => {
    const n = int(flag);
    if (n !== undefined) (limits as Record<string, number>)[key] = n;
  };
  setLimit('max-message-bytes', 'maxMessageBytes');
  setLimit('max-events-per-message', 'maxEventsPerMessage');
  setLimit('max-parents', 'maxParents');
  if (limits.maxParents === 0) throw new ConfigError('--max-parents must be at least 1 (every event but the first names a parent)');
  setLimit('rate-per-second', 'ratePerSecond');
  setLimit('rate-burst', 'rateBurst');
  setLimit('max-docs-per-connection', 'maxDocsPerConnection');
  setLimit('heartbeat-ms', 'heartbeatMs');
  setLimit('handshake-timeout-ms', 'handshakeTimeoutMs');
  setLimit('max-buffered-bytes', 'maxBufferedBytes');
  setLimit('max-connections', 'maxConnections');
  const port = int('port');
  const snapshotEvery = int('snapshot-every');
  const dataDir = values.get('data-dir');
  const storage = values.get('storage');
  const storageSchema = values.get('storage-schema');
  const host = values.get('host');
  const staticDir = values.get('static-dir');
  const logLevel = values.get('log-level');
  const origins = values.get('allowed-origins');
  const cluster = clusterConfig(values, int, storage);
  return defaultConfig({
    ...(port !== undefined ? { port } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(dataDir !== undefined ? { dataDir } : {}),
    ...(storage !== undefined ? { storage } : {}),
    ...(storageSchema !== undefined ? { storageSchema } : {}),
    ...(staticDir !== undefined ? { staticDir } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
    ...(snapshotEvery !== undefined ? { snapshotEvery } : {}),
    ...(origins !== undefined ? { allowedOrigins: origins.split(',').map((s) => s.trim()).filter((s) => s.length > 0) } : {}),
    ...(cluster !== undefined ? { cluster } : {}),
    auth,
    limits,
  });
}

/** The cluster settings, when a Redis URL is given; cluster-only flags without one are an error. */
function clusterConfig(values: ReadonlyMap<string, string>, int: (flag: string) => number | undefined, storage: string | undefined): ClusterConfig | undefined {
  const redisUrl = values.get('redis-url');
  const clusterFlags = ['node-id', 'redis-prefix', 'cluster-heartbeat-ms', 'cluster-node-timeout-ms', 'cluster-poll-ms'];
  if (redisUrl === undefined) {
    const stray = clusterFlags.find((f) => values.has(f));
    if (stray !== undefined) throw new ConfigError(`--${stray} needs --redis-url`);
    return undefined;
  }
  if (!/^rediss?:\/\//i.test(redisUrl)) throw new ConfigError(`--redis-url must start with redis:// or rediss://, got ${JSON.stringify(redisUrl.replace(/:[^:@/]*@/, ':***@'))}`);
  // Nodes share documents through the database: a file that only this process opens cannot do that.
  if (storage === undefined || !/^postgres(ql)?:\/\//i.test(storage)) throw new ConfigError('--redis-url needs PostgreSQL storage (--storage postgres://…) shared by every node');
  const nodeId = values.get('node-id') ?? defaultNodeId();
  if (!NODE_ID_PATTERN.test(nodeId)) throw new ConfigError(`--node-id must be 1–64 letters, digits, '.', '_' or '-', got ${JSON.stringify(nodeId)}`);
  const prefix = values.get('redis-prefix') ?? DEFAULT_CLUSTER.prefix;
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(prefix)) throw new ConfigError(`--redis-prefix must be 1–64 letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(prefix)}`);
  const heartbeatMs = int('cluster-heartbeat-ms') ?? DEFAULT_CLUSTER.heartbeatMs;
  const nodeTimeoutMs = int('cluster-node-timeout-ms') ?? DEFAULT_CLUSTER.nodeTimeoutMs;
  const pollMs = int('cluster-poll-ms') ?? DEFAULT_CLUSTER.pollMs;
  if (heartbeatMs < 50 || pollMs < 50) throw new ConfigError('--cluster-heartbeat-ms and --cluster-poll-ms must be at least 50');
  // Two missed heartbeats must not look like a death: a busy event loop delays them.
  if (nodeTimeoutMs < 3 * heartbeatMs) throw new ConfigError('--cluster-node-timeout-ms must be at least three heartbeats');
  return { redisUrl, nodeId, prefix, heartbeatMs, nodeTimeoutMs, pollMs };
}

/** Unique per process without configuration: two nodes on one host differ by pid and a random part. */
function defaultNodeId(): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40) || 'node';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
