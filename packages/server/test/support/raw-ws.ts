/**
 * A WebSocket client written on a bare TCP socket, for tests that need what a library client hides:
 * the HTTP upgrade by hand (any headers), several frames in one TCP write, not answering pings, and
 * not reading at all (a paused socket, so the server's send buffer fills). It speaks just enough of
 * RFC 6455: masked text frames out; text, close, ping and pong frames in (unfragmented, as the
 * Tandem server sends them).
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { ServerMessage } from '@tandem/protocol';

const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

export interface RawConnectOptions {
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Answer pings with pongs (default true); false plays a peer that stopped responding. */
  readonly answerPings?: boolean;
}

/** Encodes one masked client frame. */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (len < 126) head[1] = 0x80 | len;
  else if (len < 65536) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([head, mask, body]);
}

export function textFrame(message: unknown): Buffer {
  return encodeFrame(OP_TEXT, Buffer.from(typeof message === 'string' ? message : JSON.stringify(message), 'utf8'));
}

export class RawWsClient {
  readonly messages: ServerMessage[] = [];
  /** Bytes read from the socket after the upgrade response. */
  bytesReceived = 0;
  /** The code of the close frame the server sent, if any. */
  closeCode: number | undefined;
  readonly closed: Promise<void>;
  private buffer: Buffer = Buffer.alloc(0);
  private waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  private listeners: (() => void)[] = [];

  private constructor(
    readonly socket: Socket,
    private readonly answerPings: boolean,
    leftover: Buffer,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    if (leftover.length > 0) this.onData(leftover);
  }

  /** Opens a TCP connection and performs the upgrade; rejects with the status line if refused. */
  static async connect(port: number, options: RawConnectOptions = {}): Promise<RawWsClient> {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const extra = Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET ${options.path ?? '/ws'} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
    );
    const { status, leftover } = await new Promise<{ status: string; leftover: Buffer }>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.off('error', reject);
        socket.off('close', onClose);
        const lines = head.subarray(0, end).toString('latin1');
        resolve({ status: lines.split('\r\n')[0] ?? '', leftover: head.subarray(end + 4) });
      };
      const onClose = (): void => reject(new Error('the connection closed before the upgrade response'));
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('close', onClose);
    });
    if (!/^HTTP\/1\.1 101 /.test(status)) {
      socket.destroy();
      throw new Error(`upgrade refused: ${status}`);
    }
    return new RawWsClient(socket, options.answerPings ?? true, leftover);
  }

  /** Sends messages as text frames, all in one TCP write. */
  send(...messages: unknown[]): void {
    this.socket.write(Buffer.concat(messages.map(textFrame)));
  }

  /** Stops reading: the kernel buffers fill, then the server's send buffer grows. */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Calls `listener` after every frame read. Returns its removal. */
  onFrame(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** The first JSON message (already received or coming) matching `match`, within `ms`. */
  next<T extends ServerMessage = ServerMessage>(match: (m: ServerMessage) => boolean, ms = 5_000): Promise<T> {
    const seen = this.messages.find(match);
    if (seen !== undefined) return Promise.resolve(seen as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching message within ${ms} ms; received: ${JSON.stringify(this.messages).slice(0, 500)}`));
      }, ms);
      const waiter = {
        match,
        resolve: (m: ServerMessage) => {
          clearTimeout(timer);
          resolve(m as T);
        },
      };
      this.waiters.push(waiter);
    });
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const frame = this.takeFrame();
      if (frame === undefined) break;
      this.onFrameRead(frame.opcode, frame.payload);
      for (const l of [...this.listeners]) l();
    }
  }

  private takeFrame(): { opcode: number; payload: Buffer } | undefined {
    const b = this.buffer;
    if (b.length < 2) return undefined;
    const opcode = b[0]! & 0x0f;
    let len = b[1]! & 0x7f;
    let offset = 2;
    if (len === 126) {
      if (b.length < 4) return undefined;
      len = b.readUInt16BE(2);
      offset = 4;
    } else if (len === 127) {
      if (b.length < 10) return undefined;
      len = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    if (b.length < offset + len) return undefined;
    const payload = b.subarray(offset, offset + len);
    this.buffer = b.subarray(offset + len);
    return { opcode, payload };
  }

  private onFrameRead(opcode: number, payload: Buffer): void {
    if (opcode === OP_TEXT) {
      const m = JSON.parse(payload.toString('utf8')) as ServerMessage;
      this.messages.push(m);
      const i = this.waiters.findIndex((w) => w.match(m));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    } else if (opcode === OP_PING) {
      if (this.answerPings && this.socket.writable) this.socket.write(encodeFrame(OP_PONG, Buffer.from(payload)));
    } else if (opcode === OP_CLOSE) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      if (this.socket.writable) this.socket.end(encodeFrame(OP_CLOSE, Buffer.from(payload.subarray(0, 2))));
    }
  }
}
