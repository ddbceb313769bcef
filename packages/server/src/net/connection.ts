/**
 * Connection owns one client channel (a WebSocket, or the SSE + POST fallback): the handshake (protocol version, authentication), the
 * per-connection limits (rate, joined documents, pre-handshake queue, send buffer), the ordering of
 * its messages (handled one at a time, in arrival order), and the dispatch of each message to the
 * document sessions and presence. Every message is validated at the edge; every failure becomes an
 * `error` message with a stable code, never a crash.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TandemError, checkOp } from '@tandem/core';
import type { DocId } from '@tandem/core';
import { CloseCode, ErrorCode, MAX_ERROR_MESSAGE_LENGTH, PROTOCOL_VERSIONS, ProtocolError, negotiateProtocol, parseClientMessage, SIGNAL_TO_ALL } from '@tandem/protocol';
import type { ClientMessage, CursorRange, ErrorMessage, Level, PresenceState, ServerMessage } from '@tandem/protocol';
import type { Logger } from 'pino';
import { AuthError, can } from '../auth/index.js';
import type { Authenticator, PermissionService, Principal } from '../auth/index.js';
import { PermissionError } from '../auth/index.js';
import type { ServerConfig } from '../config.js';
import type { ServerMetrics } from '../metrics.js';
import type { DocumentRegistry } from '../sync/document-registry.js';
import { SessionFailedError, StorageReadError } from '../sync/document-session.js';
import type { DocumentSession, SessionClient } from '../sync/document-session.js';
import type { PresenceHub } from '../presence-hub.js';
import { StoreErrorCode, isStoreError } from '../storage/store-error.js';
import { TokenBucket } from './token-bucket.js';
import type { Transport } from './transport.js';

/** How long a slow consumer gets to take its close frame before its socket is destroyed. */
const SLOW_CONSUMER_GRACE_MS = 1_000;


export interface ConnectionDeps {
  readonly config: ServerConfig;
  readonly registry: DocumentRegistry;
  readonly authenticator: Authenticator;
  readonly permissions: PermissionService;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly presence: PresenceHub;
  /** Live connections by id, for signaling. */
  readonly connections: ReadonlyMap<string, Connection>;
  readonly serverVersion: string;
  /**
   * Cluster: relays a signal to a connection on another node that joined the document; false when
   * no node is known to hold it. Absent on a single node.
   */
  readonly forwardSignal?: (signal: { docId: string; from: string; userId: string; level: Level; to: string; data: unknown }) => boolean;
  /** Cluster: delivers an announce (`signal` to `*`) to the document's connections on other nodes. */
  readonly announceSignal?: (signal: { docId: string; from: string; userId: string; level: Level; data: unknown }) => void;
}

interface Joined {
  readonly session: DocumentSession;
  readonly level: Level;
  readonly client: SessionClient;
}

type State = 'handshake' | 'ready' | 'closed';

export class Connection {
  readonly id = randomBytes(9).toString('base64url');
  private state: State = 'handshake';
  /** The protocol version negotiated in the handshake. */
  private protocol: number = 1;
  private principal: Principal | undefined;
  private readonly joined = new Map<DocId, Joined>();
  private readonly rooms = new Set<string>();
  /** Documents this connection sent a `signal` to `*` on since joining them. */
  private readonly announced = new Set<string>();
  private readonly bucket: TokenBucket;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private rateStrikes = 0;
  lastSeen = Date.now();
  private readonly handshakeTimer: NodeJS.Timeout;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    private readonly ws: Transport,
    private readonly headerToken: string | undefined,
    private readonly deps: ConnectionDeps,
    readonly remoteAddress: string,
  ) {
    const limits = deps.config.limits;
    this.bucket = new TokenBucket(limits.ratePerSecond, limits.rateBurst);
    this.handshakeTimer = setTimeout(() => {
      if (this.state === 'handshake') this.close(CloseCode.PolicyViolation, 'handshake timeout');
    }, limits.handshakeTimeoutMs);
    ws.onMessage((data, isBinary) => this.onFrame(data, isBinary));
    ws.onPong(() => {
      this.lastSeen = Date.now();
      this.deps.presence.heartbeat(this.id);
    });
    ws.onClose(() => this.onClosed());
  }

  /** Which channel this connection uses. */
  get transport(): Transport['kind'] {
    return this.ws.kind;
  }

  get userId(): string | undefined {
    return this.principal?.userId;
  }

  /** The level this connection holds on a document it joined. */
  levelOn(docId: string): Level | undefined {
    return this.joined.get(docId as DocId)?.level;
  }

  /**
   * Sends a message unless the peer is too slow to keep up, in which case it is disconnected.
   * `encoded`, when given, is the message's JSON text (a broadcast encodes once for every client).
   */
  send(message: ServerMessage, encoded?: string): void {
    if (this.state === 'closed') return;
    if (this.ws.bufferedAmount > this.deps.config.limits.maxBufferedBytes) {
      this.deps.logger.warn({ conn: this.id, buffered: this.ws.bufferedAmount }, 'slow consumer disconnected');
      this.close(CloseCode.SlowConsumer, 'slow consumer: send buffer full');
      // The close frame queues behind everything buffered, which a peer that does not read never
      // takes; ws would hold the socket and its buffer for 30 s. Release them after a short grace.
      setTimeout(() => this.ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
      return;
    }
    if (message.type === 'error') this.deps.metrics.errors.inc({ code: message.code });
    const text = encoded ?? JSON.stringify(message);
    this.bytesOut += text.length;
    this.ws.send(text);
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.ws.close(code, reason);
    this.onClosed();
  }

  /** Drops a connection that stopped answering (heartbeat). */
  terminate(): void {
    this.ws.terminate();
    this.onClosed();
  }

  ping(): void {
    if (this.state !== 'closed') this.ws.ping();
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closed') return;
    this.lastSeen = Date.now();
    // Any message is a sign of life (the SSE fallback has no pong frames).
    if (this.state === 'ready') this.deps.presence.heartbeat(this.id);
    this.bytesIn += data.length;
    if (isBinary) {
      this.sendError(ErrorCode.BadMessage, 'binary frames are not supported: send JSON text');
      return;
    }
    if (this.state === 'handshake' && ++this.queued > this.deps.config.limits.maxPreHandshakeMessages) {
      this.close(CloseCode.PolicyViolation, 'too many messages before the handshake');
      return;
    }
    if (this.state === 'ready' && !this.bucket.take()) {
      this.rateStrikes++;
      this.sendError(ErrorCode.RateLimited, `rate limit: at most ${this.deps.config.limits.ratePerSecond} messages per second`);
      if (this.rateStrikes > this.deps.config.limits.rateBurst) this.close(CloseCode.RateLimited, 'rate limit exceeded repeatedly');
      return;
    }
    this.rateStrikes = 0;
    let message: ClientMessage;
    try {
      message = parseClientMessage(data, {
        maxMessageBytes: this.deps.config.limits.maxMessageBytes,
        maxEventsPerMessage: this.deps.config.limits.maxEventsPerMessage,
        maxOpComponents: this.deps.config.limits.maxOpComponents,
        maxParents: this.deps.config.limits.maxParents,
      });
    } catch (err) {
      if (err instanceof ProtocolError) this.sendError(err.code, err.message, err.docId, err.ref);
      else this.sendError(ErrorCode.BadMessage, 'message could not be read');
      return;
    }
    this.deps.metrics.messages.inc({ type: message.type });
    this.chain = this.chain.then(() => this.handle(message)).catch((err: unknown) => this.onHandlerError(err, message));
  }

  private async handle(message: ClientMessage): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'handshake') {
      this.queued--;
      if (message.type !== 'hello') {
        this.sendError(ErrorCode.HandshakeRequired, `the first message must be hello, got ${message.type}`);
        this.close(CloseCode.PolicyViolation, 'handshake required');
        return;
      }
      await this.onHello(message);
      return;
    }
    this.deps.presence.activity(this.id);
    switch (message.type) {
      case 'hello':
        this.sendError(ErrorCode.BadMessage, 'hello was already received');
        return;
      case 'join_session':
        return this.onJoin(message);
      case 'leave_session':
        return this.onLeave(message.docId as DocId);
      case 'operation':
        return this.onOperation(message);
      case 'request_sync':
        return this.onRequestSync(message.docId as DocId, message.since);
      case 'cursor_update': {
        const j = this.requireJoined(message.docId, message.type);
        if (j !== undefined) this.deps.presence.cursor(message.docId, this.id, message.version, clampCursor(j.session, message.cursor));
        return;
      }
      case 'presence_update': {
        const j = message.scope === 'doc' ? this.requireJoined(message.id, message.type) : undefined;
        if (message.scope === 'doc' && j === undefined) return;
        if (message.scope === 'room' && !this.rooms.has(message.id)) {
          this.sendError(ErrorCode.NotJoined, `room ${JSON.stringify(message.id)} was not joined`);
          return;
        }
        this.deps.presence.update(message.scope, message.id, this.id, j === undefined ? message.state : withinText(j.session, message.state));
        return;
      }
      case 'join_room':
        return this.onJoinRoom(message.room, message.presence);
      case 'leave_room':
        this.rooms.delete(message.room);
        this.deps.presence.leaveRoom(message.room, this.id);
        return;
      case 'room_broadcast':
        if (!this.rooms.has(message.room)) {
          this.sendError(ErrorCode.NotJoined, `room ${JSON.stringify(message.room)} was not joined`);
          return;
        }
        this.deps.presence.broadcast(message.room, this.id, message.event, message.data);
        return;
      case 'signal':
        return this.onSignal(message.docId, message.to, message.data);
      case 'ping':
        this.send({ type: 'pong', t: message.t });
        return;
    }
  }

  private async onHello(message: Extract<ClientMessage, { type: 'hello' }>): Promise<void> {
    const protocol = negotiateProtocol(message.protocols);
    if (protocol === undefined) {
      this.sendError(ErrorCode.UnsupportedProtocol, `no common protocol version: client speaks ${message.protocols.join(', ')}, server speaks ${PROTOCOL_VERSIONS.join(', ')}`);
      this.close(CloseCode.PolicyViolation, 'unsupported protocol');
      return;
    }
    try {
      this.principal = await this.deps.authenticator.authenticate(this.headerToken ?? message.token, message.devUser);
    } catch (err) {
      const why = err instanceof AuthError ? err.message : 'authentication failed';
      this.sendError(ErrorCode.Unauthenticated, why);
      this.close(CloseCode.PolicyViolation, 'unauthenticated');
      return;
    }
    clearTimeout(this.handshakeTimer);
    this.state = 'ready';
    this.protocol = protocol;
    const limits = this.deps.config.limits;
    this.send({
      type: 'welcome',
      protocol,
      server: { name: 'tandem', version: this.deps.serverVersion },
      connectionId: this.id,
      user: { id: this.principal.userId, name: this.principal.name, color: this.principal.color },
      heartbeatMs: limits.heartbeatMs,
      limits: { maxMessageBytes: limits.maxMessageBytes, maxEventsPerMessage: limits.maxEventsPerMessage },
    });
  }

  private async onJoin(message: Extract<ClientMessage, { type: 'join_session' }>): Promise<void> {
    const docId = message.docId as DocId;
    const principal = this.principal!;
    if (this.joined.has(docId)) {
      this.sendError(ErrorCode.BadMessage, `document ${JSON.stringify(docId)} is already joined on this connection`, docId);
      return;
    }
    if (this.joined.size >= this.deps.config.limits.maxDocsPerConnection) {
      this.sendError(ErrorCode.LimitExceeded, `at most ${this.deps.config.limits.maxDocsPerConnection} documents per connection`, docId);
      return;
    }
    const level = await this.deps.permissions.levelOrCreate(docId, principal.userId, message.link !== undefined ? { linkToken: message.link } : {});
    if (level === undefined) {
      this.sendError(ErrorCode.PermissionDenied, `user ${JSON.stringify(principal.userId)} has no access to document ${JSON.stringify(docId)}`, docId);
      return;
    }
    let session: DocumentSession;
    try {
      session = await this.deps.registry.open(docId);
    } catch (err) {
      this.deps.logger.error({ err, docId }, 'document load failed');
      this.sendError(ErrorCode.StorageUnavailable, `document ${JSON.stringify(docId)} could not be loaded; try again`, docId);
      return;
    }
    const mode = message.mode ?? 'events';
    const client: SessionClient = { connectionId: this.id, userId: principal.userId, mode, send: (m, encoded) => this.send(m, encoded) };
    const joined: Joined = { session, level, client };
    this.joined.set(docId, joined);
    this.deps.metrics.openDocuments.set(this.deps.registry.size);
    try {
      await session.joinClient(
        client,
        message.since ?? 0,
        (state) => {
          const activeUsers = this.deps.presence.joinDoc(docId, this.id, principal, message.presence === undefined ? undefined : withinText(session, message.presence));
          const { snapshot, ...rest } = state;
          this.send({ type: 'session_joined', docId, level, activeUsers, ...rest, ...(snapshot !== undefined ? { snapshot: Buffer.from(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength).toString('base64') } : {}) });
        },
        // Snapshots are protocol 2: a client that negotiated 1 could not read one.
        { snapshot: message.snapshot === true && this.protocol >= 2 },
      );
    } catch (err) {
      this.joined.delete(docId);
      throw err;
    }
  }

  private async onLeave(docId: DocId): Promise<void> {
    const j = this.joined.get(docId);
    if (j === undefined) return;
    this.joined.delete(docId);
    this.announced.delete(docId);
    j.session.leave(this.id);
    this.deps.presence.leaveDoc(docId, this.id);
  }

  /** The joined document, or undefined after an error naming `ref` (the operationId or message type). */
  private requireJoined(docId: string, ref: string): Joined | undefined {
    const j = this.joined.get(docId as DocId);
    if (j === undefined) this.sendError(ErrorCode.NotJoined, `document ${JSON.stringify(docId)} was not joined on this connection`, docId, ref);
    return j;
  }

  private async onOperation(message: Extract<ClientMessage, { type: 'operation' }>): Promise<void> {
    const j = this.requireJoined(message.docId, message.operationId);
    if (j === undefined) return;
    if (!can(j.level, 'edit')) {
      this.sendError(ErrorCode.PermissionDenied, `a ${j.level} cannot edit document ${JSON.stringify(message.docId)}`, message.docId, message.operationId);
      return;
    }
    const started = process.hrtime.bigint();
    const result =
      'events' in message
        ? await j.session.submitEvents(j.client, message.events)
        : await j.session.submitOt(j.client, message.version, message.text ?? 'body', checkOp(message.operations));
    this.deps.metrics.events.inc(result.applied);
    this.deps.metrics.ackLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.send({ type: 'operation_ack', docId: message.docId, operationId: message.operationId, version: result.version, duplicates: result.duplicates });
  }

  private async onRequestSync(docId: DocId, since: number): Promise<void> {
    const j = this.requireJoined(docId, 'request_sync');
    if (j === undefined) return;
    if (j.client.mode === 'events') {
      const { version, events } = await j.session.eventsAfter(since);
      this.send({ type: 'sync', docId, version, events });
      return;
    }
    const ops = j.session.otAfter(since);
    if (ops === undefined) {
      this.send({ type: 'error', code: ErrorCode.VersionConflict, message: `version ${since} is too old to catch up from: rejoin`, docId, currentVersion: j.session.version });
      return;
    }
    this.send({ type: 'sync', docId, version: j.session.version, operations: ops });
  }

  private async onJoinRoom(room: string, presence: Extract<ClientMessage, { type: 'join_room' }>['presence']): Promise<void> {
    if (this.rooms.has(room)) return;
    if (this.rooms.size >= this.deps.config.limits.maxRoomsPerConnection) {
      this.sendError(ErrorCode.LimitExceeded, `at most ${this.deps.config.limits.maxRoomsPerConnection} rooms per connection`);
      return;
    }
    const members = await this.deps.presence.joinRoom(room, this.id, this.principal!, presence);
    if (members === undefined) {
      this.sendError(ErrorCode.LimitExceeded, `room ${JSON.stringify(room)} is full`);
      return;
    }
    this.rooms.add(room);
    this.send({ type: 'room_joined', room, members });
  }

  private onSignal(docId: string, to: string, data: Extract<ClientMessage, { type: 'signal' }>['data']): void {
    const j = this.requireJoined(docId, 'signal');
    if (j === undefined) return;
    if (to === SIGNAL_TO_ALL) {
      this.announce(docId, j.level, data);
      return;
    }
    const target = this.deps.connections.get(to);
    const userId = this.principal!.userId;
    if (target === undefined && this.deps.forwardSignal?.({ docId, from: this.id, userId, level: j.level, to, data }) === true) return;
    // Signaling only between connections the server admitted to the same document.
    if (target === undefined || target.levelOn(docId) === undefined || target === this) {
      this.sendError(ErrorCode.NotFound, `no connection ${JSON.stringify(to)} on document ${JSON.stringify(docId)}`, docId, 'signal');
      return;
    }
    target.send({ type: 'signal', docId, from: this.id, userId: this.principal!.userId, level: j.level, data });
  }

  /**
   * `to: "*"`: the signal goes to every other connection on this node joined to the document, so a
   * peer-to-peer client can introduce itself (targeted signals need a connection id). Once per
   * join: it walks this node's connections, which a client must not be able to make us do at will.
   */
  private announce(docId: string, level: Level, data: Extract<ClientMessage, { type: 'signal' }>['data']): void {
    if (this.announced.has(docId)) {
      this.sendError(ErrorCode.LimitExceeded, `document ${JSON.stringify(docId)} was already announced to on this join`, docId, 'signal');
      return;
    }
    this.announced.add(docId);
    const userId = this.principal!.userId;
    sendToDocument(this.deps.connections.values(), docId, { type: 'signal', docId, from: this.id, userId, level, data }, this);
    this.deps.announceSignal?.({ docId, from: this.id, userId, level, data });
  }

  private onHandlerError(err: unknown, message: ClientMessage): void {
    const docId = 'docId' in message ? message.docId : undefined;
    const ref = 'operationId' in message ? message.operationId : message.type;
    if (err instanceof TandemError) {
      this.sendError(codeForCore(err.code), err.message, docId, ref);
    } else if (err instanceof SessionFailedError || err instanceof StorageReadError) {
      this.sendError(ErrorCode.StorageUnavailable, err.message, docId, ref);
    } else if (err instanceof PermissionError) {
      // Its code is already the protocol's (PERMISSION_DENIED, NOT_FOUND or BAD_MESSAGE).
      this.sendError(err.code, err.message, docId, ref);
    } else if (err instanceof ProtocolError) {
      this.sendError(err.code, err.message, docId, ref);
    } else if (isStoreError(err, StoreErrorCode.InvalidArgument)) {
      // An id the protocol allows but storage cannot hold (a NUL in a room id): the client's input.
      this.sendError(ErrorCode.BadMessage, err.message, docId, ref);
    } else {
      this.deps.logger.error({ err, conn: this.id, type: message.type }, 'message handler failed');
      this.sendError(ErrorCode.Internal, 'internal error', docId, ref);
    }
  }

  private sendError(code: ErrorCode, message: string, docId?: string, ref?: string): void {
    const m: ErrorMessage = { type: 'error', code, message: readableText(message), ...(docId !== undefined ? { docId } : {}), ...(ref !== undefined ? { ref } : {}) };
    this.send(m);
  }

  private onClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    for (const [docId, j] of this.joined) {
      j.session.leave(this.id);
      this.deps.presence.leaveDoc(docId, this.id);
    }
    this.joined.clear();
    for (const room of this.rooms) this.deps.presence.leaveRoom(room, this.id);
    this.rooms.clear();
  }

  get closed(): boolean {
    return this.state === 'closed';
  }
}

/**
 * The cursor with offsets no further than the end of its text. Larger offsets mean nothing, and as
 * edits move them they could pass 2^53, which no client accepts: every join would be unreadable.
 */
function clampCursor(session: DocumentSession, cursor: CursorRange | null): CursorRange | null {
  if (cursor === null) return null;
  const max = session.replica.textLength(cursor.text ?? 'body');
  if (cursor.anchor <= max && cursor.head <= max) return cursor;
  return { ...cursor, anchor: Math.min(cursor.anchor, max), head: Math.min(cursor.head, max) };
}

function withinText(session: DocumentSession, state: PresenceState): PresenceState {
  return state.cursor === undefined || state.cursor === null ? state : { ...state, cursor: clampCursor(session, state.cursor) };
}

/**
 * Error text as the protocol allows it: no unpaired surrogates (JSON.parse's own messages quote the
 * input around the error and may cut a pair: "😀" alone gives "Unexpected token '\ud83d'") and at
 * most MAX_ERROR_MESSAGE_LENGTH characters. Otherwise clients that validate would refuse the reply.
 */
function readableText(text: string): string {
  const cut = text.length > MAX_ERROR_MESSAGE_LENGTH ? `${text.slice(0, MAX_ERROR_MESSAGE_LENGTH - 3)}...` : text;
  return cut.replace(/\p{Cs}/gu, '\ufffd');
}

/** Maps a core error code to the protocol's. */
export function codeForCore(code: string): ErrorCode {
  switch (code) {
    case 'ERR_MISSING_PARENTS':
      return ErrorCode.MissingParents;
    case 'ERR_CONFLICTING_EVENT':
      return ErrorCode.ConflictingEvent;
    case 'ERR_LIMIT_EXCEEDED':
      return ErrorCode.LimitExceeded;
    case 'ERR_UNKNOWN_VERSION':
      return ErrorCode.VersionConflict;
    default:
      return ErrorCode.InvalidOperation;
  }
}

/** The remote address of a request, for logs. */
export function remoteOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** Sends `message` to every connection in `connections` joined to document `docId`, but `except`. */
export function sendToDocument(connections: Iterable<Connection>, docId: string, message: ServerMessage, except?: Connection): void {
  for (const target of connections) {
    if (target !== except && target.levelOn(docId) !== undefined) target.send(message);
  }
}
