/**
 * ClientOptions: every setting of a TandemClient with its default, and the check that turns them
 * into settings the rest of the SDK uses without re-validating. Nothing is read from the
 * environment: what a client does is decided by what its creator passes in.
 */
import type { UndoOptions } from '@tandem/core';
import type { PresenceState } from '@tandem/protocol';
import { resolveBackoff, type BackoffOptions, type ResolvedBackoff } from './connection/backoff.js';
import type { NetworkHints, TokenSource } from './connection/connection.js';
import { sseSocketClass } from './connection/sse-socket.js';
import type { WebSocketConstructor } from './connection/websocket-like.js';
import { resolveP2P, type P2POptions, type ResolvedP2P } from './p2p/p2p-options.js';
import type { PresenceSettings } from './presence/presence.js';
import type { ClientStorage } from './storage/client-storage.js';
import { BroadcastTabChannel, type TabChannel } from './tabs/tab-channel.js';

export interface ClientOptions {
  /** The server's WebSocket URL, for example `wss://collab.example.com/ws`. */
  readonly url: string;
  /** A JWT, or a function returning a fresh one (called before every connection attempt). */
  readonly token?: TokenSource;
  /** Dev-mode servers only (no auth configured): who this client says it is. */
  readonly devUser?: { readonly id: string; readonly name?: string };
  /** The WebSocket class. Default `globalThis.WebSocket` (browsers); in Node pass `WebSocket` from `ws`. */
  readonly WebSocket?: WebSocketConstructor;
  /** Where unacknowledged edits and the last server state are kept. Default: nowhere (lost on restart). */
  readonly storage?: ClientStorage;
  /**
   * Tabs of one profile share edits and presence over this channel. Default in browsers: a
   * BroadcastTabChannel named after the URL; elsewhere none. `false` turns it off.
   */
  readonly tabs?: TabChannel | false;
  /** Reconnect delays (default: 500 ms base, 30 s cap, retry forever). */
  readonly backoff?: BackoffOptions;
  /** Ping interval while connected, ms (default 10 000). */
  readonly heartbeatMs?: number;
  /** Silence after which the link is declared dead, ms (default 2.5 × heartbeatMs). */
  readonly heartbeatTimeoutMs?: number;
  /** Socket open + handshake deadline, ms (default 10 000). */
  readonly connectTimeoutMs?: number;
  /** A link that stayed up this long resets the backoff, ms (default 5 000). */
  readonly stableAfterMs?: number;
  /** An operation not acknowledged within this is sent again, ms (default 15 000). */
  readonly ackTimeoutMs?: number;
  /** Pause before retrying after the server said "rate limited" or "storage unavailable", ms (default 1 000). */
  readonly retryDelayMs?: number;
  /** Operation messages per second this client sends at most (default 50, burst 100): the server drops excess. */
  readonly maxOperationsPerSecond?: number;
  /** How long another tab's edit is left for that tab to send, ms (default 3 000). */
  readonly tabGraceMs?: number;
  /** The last server state is saved at most this long after it changes, ms (default 5 000). */
  readonly stateSaveDelayMs?: number;
  /** Presence timing. */
  readonly presence?: Partial<PresenceSettings>;
  /** Undo grouping and depth of every document (core defaults: edits within 500 ms are one step). */
  readonly undo?: UndoOptions;
  /** `online` / `offline` hints. Default: `window` in browsers; `false` turns them off. */
  readonly network?: NetworkHints | false;
  /** [0, 1) random source for backoff jitter (default Math.random; seed it in tests). */
  readonly random?: () => number;
  /** Latency samples kept per metric (default 1024). */
  readonly metricsWindow?: number;
  /** Connect when created (default true); otherwise on `connect()`. */
  readonly autoConnect?: boolean;
  /**
   * How to reach the server when WebSocket upgrades are refused (by a proxy): server-sent events
   * down and POSTs up, the same protocol. Default: built in (needs `fetch`); false turns it off.
   */
  readonly httpFallback?: WebSocketConstructor | false;
  /** Consecutive WebSocket attempts that never open before the client falls back. Default 2. */
  readonly fallbackAfterFailures?: number;
  /** While on the fallback, how often to check whether a WebSocket gets through again (ms). Default 60,000. */
  readonly upgradeProbeMs?: number;
  /**
   * Peer-to-peer sync over WebRTC data channels, beside the server (which stays the durable
   * store). Off unless given: `p2p: {}` turns it on in browsers (native RTCPeerConnection); in
   * Node pass `{ peerConnection: weriftPeerConnection() }` from `@tandem/client/node`.
   */
  readonly p2p?: P2POptions | false;
}

/** Options of `client.open`. */
export interface OpenOptions {
  /**
   * The sync mode. Only 'events' (the Eg-walker event graph, which makes offline editing and
   * exactly-once delivery possible) is offered by this SDK; the protocol's plain-OT mode exists
   * for clients that do not run the sync core.
   */
  readonly mode?: 'events';
  /** A share-link token granting access to the document. */
  readonly link?: string;
  /** My initial presence on the document. */
  readonly presence?: PresenceState;
}

export interface ResolvedOptions {
  readonly url: string;
  readonly token: TokenSource | undefined;
  readonly devUser: { readonly id: string; readonly name?: string } | undefined;
  readonly WebSocket: WebSocketConstructor;
  /** The HTTP fallback (SSE down, POST up), or undefined for none. */
  readonly fallback: WebSocketConstructor | undefined;
  readonly fallbackAfterFailures: number;
  readonly upgradeProbeMs: number;
  /** Undefined: nothing is persisted (saving into memory nobody else reads would only cost time). */
  readonly storage: ClientStorage | undefined;
  readonly tabs: TabChannel | undefined;
  /** True when the client made the tab channel (and so closes it). */
  readonly ownsTabs: boolean;
  readonly backoff: ResolvedBackoff;
  readonly heartbeatMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly stableAfterMs: number;
  readonly ackTimeoutMs: number;
  readonly retryDelayMs: number;
  readonly maxOperationsPerSecond: number;
  readonly tabGraceMs: number;
  readonly stateSaveDelayMs: number;
  readonly presence: PresenceSettings;
  readonly undo: UndoOptions | undefined;
  readonly network: NetworkHints | undefined;
  readonly random: () => number;
  readonly metricsWindow: number;
  readonly autoConnect: boolean;
  /** Undefined: peer-to-peer sync is off. */
  readonly p2p: ResolvedP2P | undefined;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number, got ${String(v)}`);
  return v;
}

function defaultNetwork(): NetworkHints | undefined {
  const g = globalThis as { window?: unknown; addEventListener?: unknown; removeEventListener?: unknown };
  if (g.window === undefined || typeof g.addEventListener !== 'function' || typeof g.removeEventListener !== 'function') return undefined;
  return g as unknown as NetworkHints;
}

function defaultTabs(url: string): TabChannel | undefined {
  const g = globalThis as { document?: unknown; BroadcastChannel?: unknown };
  // Only in browsers: in Node every client of a process would otherwise act as tabs of one another.
  if (g.document === undefined || typeof g.BroadcastChannel !== 'function') return undefined;
  return new BroadcastTabChannel({ name: `tandem:${url}` });
}

/** Applies defaults and checks every setting. @throws TypeError / RangeError on a bad one. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  if (typeof options.url !== 'string' || options.url.length === 0) throw new TypeError('options.url must be the server WebSocket URL');
  const WebSocketCtor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (WebSocketCtor === undefined) throw new TypeError("no WebSocket here: pass options.WebSocket (in Node: import WebSocket from 'ws')");
  const heartbeatMs = positive('heartbeatMs', options.heartbeatMs, 10_000);
  const tabs = options.tabs === false ? undefined : (options.tabs ?? defaultTabs(options.url));
  const p = options.presence ?? {};
  return {
    url: options.url,
    token: options.token,
    devUser: options.devUser,
    WebSocket: WebSocketCtor,
    fallback:
      options.httpFallback === false
        ? undefined
        : (options.httpFallback ?? (typeof globalThis.fetch === 'function' ? sseSocketClass() : undefined)),
    fallbackAfterFailures: positive('fallbackAfterFailures', options.fallbackAfterFailures, 2),
    upgradeProbeMs: positive('upgradeProbeMs', options.upgradeProbeMs, 60_000),
    storage: options.storage,
    tabs,
    ownsTabs: options.tabs === undefined && tabs !== undefined,
    backoff: resolveBackoff(options.backoff),
    heartbeatMs,
    heartbeatTimeoutMs: positive('heartbeatTimeoutMs', options.heartbeatTimeoutMs, heartbeatMs * 2.5),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    stableAfterMs: positive('stableAfterMs', options.stableAfterMs, 5_000),
    ackTimeoutMs: positive('ackTimeoutMs', options.ackTimeoutMs, 15_000),
    retryDelayMs: positive('retryDelayMs', options.retryDelayMs, 1_000),
    maxOperationsPerSecond: positive('maxOperationsPerSecond', options.maxOperationsPerSecond, 50),
    tabGraceMs: positive('tabGraceMs', options.tabGraceMs, 3_000),
    stateSaveDelayMs: positive('stateSaveDelayMs', options.stateSaveDelayMs, 5_000),
    presence: {
      throttleMs: positive('presence.throttleMs', p.throttleMs, 50),
      awayAfterMs: positive('presence.awayAfterMs', p.awayAfterMs, 60_000),
      staleAfterMs: positive('presence.staleAfterMs', p.staleAfterMs, 15_000),
      tabTtlMs: positive('presence.tabTtlMs', p.tabTtlMs, 15_000),
    },
    undo: options.undo,
    network: options.network === false ? undefined : (options.network ?? defaultNetwork()),
    random: options.random ?? Math.random,
    metricsWindow: positive('metricsWindow', options.metricsWindow, 1024),
    autoConnect: options.autoConnect ?? true,
    p2p: resolveP2P(options.p2p),
  };
}
