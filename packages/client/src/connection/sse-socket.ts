/**
 * SseSocket speaks the Tandem protocol over plain HTTP for networks whose proxies refuse WebSocket
 * upgrades: server-sent events carry the server's messages down (`GET /sse`), POSTs carry the
 * client's up (`POST /rpc?sid=…`). It implements the WebSocketLike surface, so the Connection above
 * it runs exactly as over a WebSocket. Uses `fetch` with a streamed body (browsers and Node 20).
 */
import { WEBSOCKET_CLOSED, WEBSOCKET_OPEN } from './websocket-like.js';
import type { CloseEventLike, MessageEventLike, WebSocketConstructor, WebSocketLike } from './websocket-like.js';

type FetchLike = typeof globalThis.fetch;

/** The HTTP base and query of a `ws(s)://host/ws?…` URL: `http(s)://host` and `?…`. */
export function httpBaseOf(wsUrl: string): { base: string; query: string } {
  const u = new URL(wsUrl);
  const protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
  const path = u.pathname.endsWith('/ws') ? u.pathname.slice(0, -3) : u.pathname.replace(/\/$/, '');
  return { base: `${protocol}//${u.host}${path}`, query: u.search };
}

/** A WebSocket-shaped class over SSE + POST, bound to a `fetch` implementation. */
export function sseSocketClass(fetchImpl: FetchLike = globalThis.fetch.bind(globalThis)): WebSocketConstructor {
  return class extends SseSocket {
    constructor(url: string) {
      super(url, fetchImpl);
    }
  };
}

export class SseSocket implements WebSocketLike {
  readyState = 0;
  private sid = '';
  private readonly base: string;
  private readonly query: string;
  private readonly abort = new AbortController();
  private readonly queue: string[] = [];
  private posting = false;
  private queuedBytes = 0;
  private readonly listeners = {
    open: [] as (() => void)[],
    message: [] as ((e: MessageEventLike) => void)[],
    close: [] as ((e: CloseEventLike) => void)[],
    error: [] as ((e: unknown) => void)[],
  };

  constructor(
    url: string,
    private readonly fetchImpl: FetchLike,
  ) {
    const { base, query } = httpBaseOf(url);
    this.base = base;
    this.query = query;
    void this.stream();
  }

  get bufferedAmount(): number {
    return this.queuedBytes;
  }

  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: MessageEventLike) => void): void;
  addEventListener(type: 'close', listener: (event: CloseEventLike) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: ((e: never) => void) | (() => void)): void {
    (this.listeners[type] as unknown[]).push(listener);
  }

  send(data: string): void {
    if (this.readyState !== WEBSOCKET_OPEN) throw new Error('SSE link is not open');
    this.queue.push(data);
    this.queuedBytes += data.length;
    void this.flush();
  }

  close(code = 1000, reason = ''): void {
    this.finish(code, reason);
  }

  /** Sends what is queued as one POST; one request at a time keeps the messages in order. */
  private async flush(): Promise<void> {
    if (this.posting || this.queue.length === 0 || this.readyState !== WEBSOCKET_OPEN) return;
    this.posting = true;
    const batch = this.queue.splice(0, 256);
    const body = `[${batch.join(',')}]`;
    try {
      const res = await this.fetchImpl(`${this.base}/rpc?sid=${encodeURIComponent(this.sid)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: this.abort.signal,
      });
      this.queuedBytes -= body.length - 2 - (batch.length - 1);
      if (!res.ok) {
        this.finish(1006, `POST /rpc answered ${res.status}`);
        return;
      }
    } catch {
      this.finish(1006, 'POST /rpc failed');
      return;
    } finally {
      this.posting = false;
    }
    void this.flush();
  }

  private async stream(): Promise<void> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.base}/sse${this.query}`, { headers: { accept: 'text/event-stream' }, signal: this.abort.signal });
    } catch {
      this.finish(1006, 'could not open the event stream');
      return;
    }
    if (!res.ok || res.body === null) {
      this.finish(1006, `GET /sse answered ${res.status}`);
      return;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          this.onBlock(block);
          if (this.readyState === WEBSOCKET_CLOSED) return;
        }
      }
    } catch {
      // Aborted or cut: reported as a close below.
    }
    this.finish(1006, 'event stream ended');
  }

  /** One SSE block: `event:` (optional) and `data:` lines; comments (`: ping`) are keep-alives. */
  private onBlock(block: string): void {
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    if (data === '') return;
    if (event === 'session') {
      this.sid = (JSON.parse(data) as { sid: string }).sid;
      this.readyState = WEBSOCKET_OPEN;
      for (const l of this.listeners.open) l();
    } else if (event === 'close') {
      const info = JSON.parse(data) as { code: number; reason: string };
      this.finish(info.code, info.reason);
    } else {
      for (const l of this.listeners.message) l({ data });
    }
  }

  private finish(code: number, reason: string): void {
    if (this.readyState === WEBSOCKET_CLOSED) return;
    this.readyState = WEBSOCKET_CLOSED;
    this.abort.abort();
    for (const l of this.listeners.close) l({ code, reason });
  }
}
