/**
 * One connection of the handler fuzz test: sends raw frames as fast as the socket takes them,
 * validates every frame the server sends with the protocol's own `parseServerMessage`, counts
 * replies by type, keeps the INTERNAL errors and anything malformed, and offers a barrier (a ping
 * whose pong proves that every earlier message of this connection was handled).
 */
import WebSocket from 'ws';
import { parseServerMessage } from '@tandem/protocol';
import type { ServerMessage } from '@tandem/protocol';
import { withDeadline } from './deadline.js';

export class FuzzPeer {
  connectionId = '';
  replies = 0;
  readonly byType = new Map<string, number>();
  readonly errorCodes = new Map<string, number>();
  readonly malformed: string[] = [];
  readonly internal: ServerMessage[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<void>;
  /** Called with every well-formed message. */
  onMessage: (m: ServerMessage) => void = () => undefined;
  private readonly pongs = new Map<number, () => void>();

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code: number) => ((this.closeCode = code), resolve())));
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(data, isBinary));
  }

  static async open(url: string, userId: string): Promise<FuzzPeer> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await withDeadline(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      }),
      5_000,
      'the fuzz connection to open',
    );
    const peer = new FuzzPeer(ws);
    const welcome = new Promise<ServerMessage>((resolve) => {
      peer.onMessage = (m) => {
        if (m.type === 'welcome') resolve(m);
      };
    });
    peer.sendText(JSON.stringify({ type: 'hello', protocols: [1], devUser: { id: userId, name: userId } }));
    const w = await withDeadline(welcome, 5_000, `the welcome of ${userId}`);
    if (w.type === 'welcome') peer.connectionId = w.connectionId;
    peer.onMessage = () => undefined;
    return peer;
  }

  sendText(text: string): void {
    this.ws.send(text);
  }

  sendBinary(bytes: Buffer): void {
    this.ws.send(bytes, { binary: true });
  }

  /** Resolves when the pong to a ping with `t` arrives: everything sent before it was handled. */
  barrier(t: number, ms = 30_000): Promise<void> {
    const reached = new Promise<void>((resolve) => this.pongs.set(t, resolve));
    this.sendText(JSON.stringify({ type: 'ping', t }));
    return withDeadline(Promise.race([reached, this.closed.then(() => Promise.reject(new Error(`connection closed with ${String(this.closeCode)}`)))]), ms, `the barrier pong ${t}`);
  }

  close(): void {
    this.ws.close();
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    this.replies++;
    let m: ServerMessage;
    try {
      if (isBinary) throw new Error('a binary frame');
      m = parseServerMessage(data);
    } catch (e) {
      if (this.malformed.length < 20) this.malformed.push(`${e instanceof Error ? e.message : String(e)}: ${data.toString('utf8').slice(0, 300)}`);
      return;
    }
    this.byType.set(m.type, (this.byType.get(m.type) ?? 0) + 1);
    if (m.type === 'error') {
      this.errorCodes.set(m.code, (this.errorCodes.get(m.code) ?? 0) + 1);
      if (m.code === 'INTERNAL' && this.internal.length < 20) this.internal.push(m);
    }
    if (m.type === 'pong') {
      const done = this.pongs.get(m.t);
      if (done !== undefined) {
        this.pongs.delete(m.t);
        done();
      }
    }
    this.onMessage(m);
  }
}
