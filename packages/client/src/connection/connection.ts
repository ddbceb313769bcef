/**
 * Connection owns the client's one link to a Tandem server: opening the WebSocket, the handshake
 * (`hello` → `welcome`), heartbeats (our `ping`s, and declaring the link dead when the server goes
 * silent, which is how a half-open socket is found), reconnecting with backoff and jitter forever
 * unless the server refused us for good, the connection status apps show, and the byte and RTT
 * metrics. It knows nothing of documents: it hands every other server message to its listeners.
 *
 * Browser `online` / `offline` events are only hints: `offline` probes the link with a ping rather
 * than dropping it (the OS is often wrong), and `online` retries at once instead of waiting out the
 * backoff.
 */
import { ErrorCode, PROTOCOL_VERSIONS, CloseCode, parseServerMessage, utf8Length } from '@tandem/protocol';
import type { ClientMessage, ServerMessage, WelcomeMessage } from '@tandem/protocol';
import { Emitter } from '../util/emitter.js';
import { Timer } from '../util/timer.js';
import type { ClientMetrics } from '../metrics/client-metrics.js';
import { Backoff, type ResolvedBackoff } from './backoff.js';
import { dropSocket, WEBSOCKET_CLOSED, WEBSOCKET_OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket-like.js';

/** What the app is told about the link. */
export type ConnectionStatus = 'connecting' | 'connected' | 'offline' | 'reconnecting';

/** A bearer token, or a function that fetches a fresh one before each connection attempt. */
export type TokenSource = string | (() => string | Promise<string>);

/** Something that fires `online` / `offline` events (a browser `window`). */
export interface NetworkHints {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

export interface ConnectionSettings {
  readonly url: string;
  readonly WebSocket: WebSocketConstructor;
  /** The HTTP fallback used after `fallbackAfterFailures` WebSocket attempts never opened. */
  readonly fallback: WebSocketConstructor | undefined;
  readonly fallbackAfterFailures: number;
  /** While on the fallback, how often to probe whether a WebSocket gets through again. */
  readonly upgradeProbeMs: number;
  readonly token: TokenSource | undefined;
  readonly devUser: { readonly id: string; readonly name?: string } | undefined;
  readonly clientInfo: { readonly name: string; readonly version: string };
  readonly backoff: ResolvedBackoff;
  /** [0, 1): the jitter source. */
  readonly random: () => number;
  /** A monotonic clock in ms (RTT, timeouts). */
  readonly monotonic: () => number;
  /** A ping is sent this often while connected. */
  readonly heartbeatMs: number;
  /** A link with nothing received for this long is dead. */
  readonly heartbeatTimeoutMs: number;
  /** Socket open + `welcome` must happen within this. */
  readonly connectTimeoutMs: number;
  /** A link that stayed up this long resets the backoff. */
  readonly stableAfterMs: number;
  readonly network: NetworkHints | undefined;
  readonly metrics: ClientMetrics;
}

/** Why the link went down. */
export interface DownInfo {
  readonly code: number;
  readonly reason: string;
}

export type ConnectionEvents = {
  status: [status: ConnectionStatus];
  /** The handshake completed: documents may join now. */
  ready: [welcome: WelcomeMessage];
  message: [message: ServerMessage];
  down: [info: DownInfo];
  /** A connection attempt starts (`attempt` counts from 1 since the last working link). */
  attempt: [info: { readonly attempt: number }];
  /** A reconnect is scheduled in `delayMs`. */
  retry: [info: { readonly attempt: number; readonly delayMs: number }];
  /** Something went wrong that the app may want to know (the SDK handles it). */
  error: [error: Error];
};

/** How long a closing socket may wait for the server's close frame before it is dropped. */
const CLOSE_GRACE_MS = 1_000;

/** Close codes after which retrying unchanged is pointless. */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.Normal, CloseCode.PermissionDenied]);

export class Connection extends Emitter<ConnectionEvents> {
  private socket: WebSocketLike | undefined;
  private currentStatus: ConnectionStatus = 'offline';
  private welcomed: WelcomeMessage | undefined;
  private everConnected = false;
  private stopped = true;
  private connectedAt = 0;
  private lastReceivedAt = 0;
  /** Error code the server sent during the handshake: tells a refusal from a timeout on 1008. */
  private handshakeError: string | undefined;
  private hintedOffline = false;
  private readonly backoff: Backoff;
  private readonly retryTimer = new Timer();
  private readonly connectTimer = new Timer();
  private readonly heartbeatTimer = new Timer();
  private readonly closeTimer = new Timer();
  private closingSocket: WebSocketLike | undefined;
  /** WebSocket attempts in a row that never opened; past the limit, the HTTP fallback is used. */
  private wsFailures = 0;
  private onFallback = false;
  private readonly probeTimer = new Timer();
  private readonly onOnline = (): void => this.networkOnline();
  private readonly onOffline = (): void => this.networkOffline();

  constructor(private readonly settings: ConnectionSettings) {
    super();
    this.backoff = new Backoff(settings.backoff, settings.random);
  }

  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  /** The server's `welcome` while connected. */
  get welcome(): WelcomeMessage | undefined {
    return this.welcomed;
  }

  get ready(): boolean {
    return this.welcomed !== undefined;
  }

  /** Starts connecting (and reconnecting whenever the link drops) until `stop`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.settings.network?.addEventListener('online', this.onOnline);
    this.settings.network?.addEventListener('offline', this.onOffline);
    void this.attempt();
  }

  /** Closes the link for good (until `start`). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.settings.network?.removeEventListener('online', this.onOnline);
    this.settings.network?.removeEventListener('offline', this.onOffline);
    this.retryTimer.clear();
    const socket = this.socket;
    this.teardown();
    if (socket !== undefined) {
      try {
        socket.close(CloseCode.Normal, 'client closed');
      } catch {
        // Closing a socket that is still connecting may throw; it is discarded either way.
      }
      // A peer that never answers the close (a dead link) must not hold the socket open for long.
      this.closingSocket = socket;
      this.closeTimer.set(CLOSE_GRACE_MS, () => {
        if (socket.readyState !== WEBSOCKET_CLOSED) dropSocket(socket, CloseCode.Normal, 'client closed');
      });
      this.emit('down', { code: CloseCode.Normal, reason: 'client closed' });
    }
    this.setStatus('offline');
  }

  /** Retries now instead of waiting out the backoff (an app's "retry" button, or `online`). */
  reconnectNow(): void {
    if (this.stopped || this.socket !== undefined) return;
    this.retryTimer.clear();
    void this.attempt();
  }

  /** Sends a message on the live link; false (nothing sent) when there is none. */
  send(message: ClientMessage): boolean {
    const socket = this.socket;
    if (socket === undefined || this.welcomed === undefined || socket.readyState !== WEBSOCKET_OPEN) return false;
    this.write(socket, message);
    return true;
  }

  private write(socket: WebSocketLike, message: ClientMessage): void {
    const text = JSON.stringify(message);
    this.settings.metrics.bytesOut += utf8Length(text);
    this.settings.metrics.messagesOut++;
    socket.send(text);
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.socket !== undefined) return;
    this.setStatus(this.hintedOffline ? 'offline' : this.everConnected ? 'reconnecting' : 'connecting');
    this.emit('attempt', { attempt: this.backoff.attempts + 1 });
    let token: string | undefined;
    try {
      const source = this.settings.token;
      token = typeof source === 'function' ? await source() : source;
    } catch (err) {
      this.emit('error', new Error(`could not get a token: ${err instanceof Error ? err.message : String(err)}`));
      this.scheduleRetry();
      return;
    }
    if (this.stopped || this.socket !== undefined) return;
    let socket: WebSocketLike;
    const viaFallback = this.onFallback && this.settings.fallback !== undefined;
    let opened = false;
    try {
      socket = new (viaFallback ? this.settings.fallback! : this.settings.WebSocket)(this.settings.url);
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    this.handshakeError = undefined;
    this.connectTimer.set(this.settings.connectTimeoutMs, () => this.fail(socket, 4000, 'connect timeout'));
    socket.addEventListener('open', () => {
      opened = true;
      if (!viaFallback) this.wsFailures = 0;
      if (socket !== this.socket) return;
      const hello: ClientMessage = {
        type: 'hello',
        // Every version this build speaks, so a server that knows only an older one still answers.
        protocols: [...PROTOCOL_VERSIONS],
        client: this.settings.clientInfo,
        ...(token !== undefined ? { token } : {}),
        ...(this.settings.devUser !== undefined ? { devUser: this.settings.devUser } : {}),
      };
      this.write(socket, hello);
    });
    socket.addEventListener('message', (event) => {
      if (socket === this.socket) this.receive(socket, event.data);
    });
    socket.addEventListener('close', (event) => {
      if (!viaFallback && !opened && this.settings.fallback !== undefined && ++this.wsFailures >= this.settings.fallbackAfterFailures) {
        // WebSockets do not get through (a proxy refusing upgrades?): use HTTP from now on.
        this.onFallback = true;
      }
      if (socket === this.closingSocket) {
        this.closingSocket = undefined;
        this.closeTimer.clear();
      }
      if (socket === this.socket) this.lost(event.code, event.reason);
    });
    socket.addEventListener('error', () => {
      // Always followed by `close`, which carries the code; nothing to do here.
    });
  }

  private receive(socket: WebSocketLike, data: unknown): void {
    this.lastReceivedAt = this.settings.monotonic();
    if (typeof data !== 'string') {
      this.emit('error', new Error('the server sent a binary frame; Tandem speaks JSON text'));
      return;
    }
    this.settings.metrics.bytesIn += utf8Length(data);
    this.settings.metrics.messagesIn++;
    let message: ServerMessage;
    try {
      message = parseServerMessage(data);
    } catch (err) {
      // A frame we cannot trust is dropped, not half-applied; the link itself may still be fine.
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
      return;
    }
    switch (message.type) {
      case 'welcome':
        this.welcomedBy(socket, message);
        return;
      case 'pong':
        this.settings.metrics.rtt.record(this.settings.monotonic() - message.t);
        return;
      case 'error':
        if (this.welcomed === undefined) this.handshakeError = message.code;
        this.emit('message', message);
        return;
      default:
        this.emit('message', message);
    }
  }

  private welcomedBy(socket: WebSocketLike, welcome: WelcomeMessage): void {
    this.connectTimer.clear();
    this.welcomed = welcome;
    this.connectedAt = this.settings.monotonic();
    const viaFallback = this.onFallback && this.settings.fallback !== undefined;
    this.settings.metrics.transport = viaFallback ? 'sse' : 'websocket';
    if (viaFallback) this.scheduleUpgradeProbe(socket);
    if (this.everConnected) this.settings.metrics.reconnects++;
    this.everConnected = true;
    this.hintedOffline = false;
    this.scheduleHeartbeat(socket);
    this.setStatus('connected');
    this.emit('ready', welcome);
  }

  /**
   * While on the HTTP fallback, checks now and then whether a WebSocket gets through again; when
   * one opens, the link is moved back to WebSockets (a reconnect that resumes from the server version).
   */
  private scheduleUpgradeProbe(socket: WebSocketLike): void {
    this.probeTimer.set(this.settings.upgradeProbeMs, () => {
      if (socket !== this.socket || this.stopped) return;
      let probe: WebSocketLike;
      try {
        probe = new this.settings.WebSocket(this.settings.url);
      } catch {
        this.scheduleUpgradeProbe(socket);
        return;
      }
      let settled = false;
      probe.addEventListener('open', () => {
        settled = true;
        dropSocket(probe, 1000, 'upgrade probe');
        if (socket !== this.socket) return;
        this.onFallback = false;
        this.wsFailures = 0;
        this.fail(socket, 4000, 'moving back to WebSocket');
      });
      probe.addEventListener('close', () => {
        if (!settled && socket === this.socket) this.scheduleUpgradeProbe(socket);
        settled = true;
      });
      probe.addEventListener('error', () => undefined);
    });
  }

  /** One heartbeat step: the link is dead after `heartbeatTimeoutMs` of silence; otherwise ping. */
  private scheduleHeartbeat(socket: WebSocketLike, delayMs = this.settings.heartbeatMs, suspect = false): void {
    this.heartbeatTimer.set(delayMs, () => {
      if (socket !== this.socket) return;
      const silentFor = this.settings.monotonic() - this.lastReceivedAt;
      if (silentFor >= this.settings.heartbeatTimeoutMs) {
        // Timers run before pending network input is read: when this process was busy, the
        // server's messages may be waiting in the socket. Look once more after they are read.
        if (!suspect) this.scheduleHeartbeat(socket, 0, true);
        else this.fail(socket, 4000, `no message from the server for ${Math.round(silentFor)} ms`);
        return;
      }
      this.ping(socket);
      this.scheduleHeartbeat(socket);
    });
  }

  private ping(socket: WebSocketLike): void {
    if (socket.readyState === WEBSOCKET_OPEN && this.welcomed !== undefined) this.write(socket, { type: 'ping', t: this.settings.monotonic() });
  }

  /** Gives up on a socket that misbehaves (silent, too slow to open) and reconnects. */
  private fail(socket: WebSocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    dropSocket(socket, code, reason);
    this.lost(code, reason);
  }

  private lost(code: number, reason: string): void {
    const wasUpFor = this.welcomed !== undefined ? this.settings.monotonic() - this.connectedAt : 0;
    this.teardown();
    this.emit('down', { code, reason });
    if (this.stopped) return;
    if (this.isFinal(code)) {
      this.emit('error', new Error(`the server closed the connection for good (${code}${reason !== '' ? `: ${reason}` : ''}); not reconnecting`));
      this.stop();
      return;
    }
    // Only a link that stayed up resets the backoff: a server that accepts and drops at once must
    // not pull every client into a tight reconnect loop.
    if (wasUpFor >= this.settings.stableAfterMs) this.backoff.reset();
    this.scheduleRetry();
  }

  private isFinal(code: number): boolean {
    if (FINAL_CLOSE_CODES.has(code)) return true;
    if (code !== CloseCode.PolicyViolation) return false;
    // 1008 also closes a handshake that merely timed out (a stalled network): retry that. A refused
    // token is final unless a token function can fetch a new one.
    if (this.handshakeError === ErrorCode.UnsupportedProtocol) return true;
    return this.handshakeError === ErrorCode.Unauthenticated && typeof this.settings.token !== 'function';
  }

  private scheduleRetry(): void {
    this.socket = undefined;
    if (this.stopped) return;
    if (this.backoff.exhausted) {
      this.emit('error', new Error(`gave up after ${this.backoff.attempts} connection attempts`));
      this.stop();
      return;
    }
    const attempt = this.backoff.attempts + 1;
    const delayMs = this.backoff.next();
    this.setStatus(this.hintedOffline ? 'offline' : this.everConnected ? 'reconnecting' : 'connecting');
    this.emit('retry', { attempt, delayMs });
    this.retryTimer.set(delayMs, () => void this.attempt());
  }

  private teardown(): void {
    this.probeTimer.clear();
    this.socket = undefined;
    this.welcomed = undefined;
    this.settings.metrics.transport = 'none';
    this.connectTimer.clear();
    this.heartbeatTimer.clear();
  }

  private networkOnline(): void {
    this.hintedOffline = false;
    if (this.socket === undefined && !this.stopped) {
      this.backoff.reset();
      this.reconnectNow();
    }
  }

  private networkOffline(): void {
    this.hintedOffline = true;
    const socket = this.socket;
    if (socket !== undefined && this.welcomed !== undefined) {
      // Only a hint: probe the link. If the network is really gone the heartbeat finds out.
      this.ping(socket);
    } else {
      this.setStatus('offline');
    }
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    this.emit('status', status);
  }
}
