/**
 * The HTTP fallback for clients behind proxies that refuse WebSocket upgrades: server-sent events
 * carry server → client messages down one long response (`GET /sse`), and client → server messages
 * go up as POSTs (`POST /rpc?sid=…`, a JSON array of messages). Each SSE stream is a Transport, so a
 * Connection on top behaves exactly as over a WebSocket: same handshake, limits and protocol.
 *
 * The stream's first event names its session id (`event: session`); the id, random and unguessable,
 * routes the POSTs. Authentication is the same as over WebSocket (token in the query or header, or
 * in `hello`).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport } from './transport.js';

export class SseTransport implements Transport {
  readonly kind = 'sse';
  readonly sid = randomBytes(18).toString('base64url');
  private messageFn: ((data: Buffer, isBinary: boolean) => void) | undefined;
  private closeFns: (() => void)[] = [];
  private ended = false;

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`event: session\ndata: ${JSON.stringify({ sid: this.sid })}\n\n`);
    res.on('close', () => this.finish());
  }

  get bufferedAmount(): number {
    return this.res.writableLength;
  }

  send(text: string): void {
    if (this.ended) return;
    // JSON text has no raw newlines, so one `data:` line carries one message.
    this.res.write(`data: ${text}\n\n`);
  }

  close(code: number, reason: string): void {
    if (this.ended) return;
    this.res.write(`event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`);
    this.res.end();
    this.finish();
  }

  terminate(): void {
    if (this.ended) return;
    this.res.destroy();
    this.finish();
  }

  ping(): void {
    if (!this.ended) this.res.write(': ping\n\n');
  }

  /** Delivers one message that arrived by POST. */
  deliver(text: string): void {
    this.messageFn?.(Buffer.from(text, 'utf8'), false);
  }

  get closed(): boolean {
    return this.ended;
  }

  onMessage(fn: (data: Buffer, isBinary: boolean) => void): void {
    this.messageFn = fn;
  }

  onPong(): void {
    // No pong frames over SSE: the client's own messages count as signs of life.
  }

  onClose(fn: () => void): void {
    this.closeFns.push(fn);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    for (const fn of this.closeFns) fn();
    this.closeFns = [];
  }
}

/** Reads a request body up to `limit` bytes; resolves undefined when it is larger. */
export function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        over = true;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
