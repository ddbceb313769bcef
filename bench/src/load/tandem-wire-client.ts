/**
 * A bare Tandem protocol client over one WebSocket, as the load generator and the benchmarks use it:
 * JSON text frames, `hello` (a JWT or a dev-mode user) until `welcome`, `join_session` until
 * `session_joined`, then every later server message handed to a listener. It keeps no document
 * state: the load driver holds the core `Doc` replica.
 */
import WebSocket from 'ws';
import type { ClientMessage, ServerMessage, SessionJoinedMessage, WelcomeMessage } from '@tandem/protocol';

export interface WireAuth {
  /** A JWT, sent in the Authorization header of the upgrade request. */
  readonly token?: string;
  /** In dev mode (no token): the user to be. */
  readonly devUser?: string;
}

export class WireClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function parseServerFrame(data: WebSocket.RawData): ServerMessage {
  const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
    throw new WireClientError('BAD_MESSAGE', `the server sent a frame that is not a message: ${text.slice(0, 200)}`);
  }
  return value as ServerMessage;
}

export class TandemWireClient {
  private listener: ((message: ServerMessage) => void) | undefined;
  /** Messages that came before a listener was set (frames can arrive together with session_joined). */
  private early: ServerMessage[] = [];
  private closeListener: ((code: number, reason: string) => void) | undefined;
  private waiter: { readonly match: (m: ServerMessage) => boolean; readonly resolve: (m: ServerMessage) => void; readonly reject: (e: Error) => void } | undefined;
  welcome: WelcomeMessage | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      let message: ServerMessage;
      try {
        message = parseServerFrame(data);
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const w = this.waiter;
      if (w !== undefined) {
        if (w.match(message)) {
          this.waiter = undefined;
          w.resolve(message);
          return;
        }
        if (message.type === 'error') {
          this.waiter = undefined;
          w.reject(new WireClientError(message.code, message.message));
          return;
        }
      }
      if (this.listener !== undefined) this.listener(message);
      else this.early.push(message);
    });
    ws.on('close', (code, reason) => {
      this.fail(new WireClientError('CLOSED', `connection closed (${code} ${reason.toString('utf8')})`));
      this.closeListener?.(code, reason.toString('utf8'));
    });
    ws.on('error', (err) => this.fail(err));
  }

  private fail(err: Error): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  /** Opens the socket and completes the handshake. `maxPayload` bounds what the server may send in one frame. */
  static async connect(url: string, auth: WireAuth, options: { readonly maxPayload?: number; readonly timeoutMs?: number } = {}): Promise<TandemWireClient> {
    const headers: Record<string, string> = auth.token !== undefined ? { authorization: `Bearer ${auth.token}` } : {};
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, maxPayload: options.maxPayload ?? 256 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (req, res) => {
        req.destroy();
        reject(new WireClientError('HTTP', `the server answered the upgrade with HTTP ${res.statusCode ?? '?'}`));
      });
    });
    const client = new TandemWireClient(ws);
    const welcome = client.request(
      {
        type: 'hello',
        protocols: [1, 2],
        client: { name: 'tandem-load', version: '0.1.0' },
        ...(auth.token === undefined && auth.devUser !== undefined ? { devUser: { id: auth.devUser, name: auth.devUser } } : {}),
      },
      (m) => m.type === 'welcome',
      options.timeoutMs ?? 30_000,
    );
    client.welcome = (await welcome) as WelcomeMessage;
    return client;
  }

  /** Sends `message` and resolves with the first server message that `match`es (an error message rejects). */
  request(message: ClientMessage, match: (m: ServerMessage) => boolean, timeoutMs = 30_000): Promise<ServerMessage> {
    if (this.waiter !== undefined) return Promise.reject(new Error('one request at a time'));
    return new Promise<ServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new WireClientError('TIMEOUT', `no answer to ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.send(message);
    });
  }

  /**
   * Joins a document in events mode and resolves with the server's `session_joined`. `snapshot`:
   * ask for the document as an encoded snapshot (protocol 2; the server may still send events).
   */
  async join(docId: string, timeoutMs = 60_000, options: { readonly snapshot?: boolean } = {}): Promise<SessionJoinedMessage> {
    const snapshot = options.snapshot === true && this.welcome?.protocol === 2;
    const m = await this.request({ type: 'join_session', docId, mode: 'events', ...(snapshot ? { snapshot: true } : {}) }, (x) => x.type === 'session_joined' && x.docId === docId, timeoutMs);
    return m as SessionJoinedMessage;
  }

  onMessage(listener: (message: ServerMessage) => void): void {
    this.listener = listener;
    const early = this.early;
    this.early = [];
    for (const m of early) listener(m);
  }

  onClose(listener: (code: number, reason: string) => void): void {
    this.closeListener = listener;
  }

  send(message: ClientMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000, 'load run over');
  }
}
