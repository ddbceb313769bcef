/**
 * Transport is what a Connection needs of the channel to its client: send text, learn of messages,
 * liveness and close, and how much is queued unsent (for backpressure). A WebSocket is one such
 * channel; when proxies refuse WebSocket upgrades, server-sent events down plus POST up is another
 * (see sse-transport.ts). The protocol on top is the same.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

export interface Transport {
  readonly kind: 'websocket' | 'sse';
  /** Bytes queued and not yet handed to the network. */
  readonly bufferedAmount: number;
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Drops the channel at once (a dead or abusive peer). */
  terminate(): void;
  /** Asks the peer for a sign of life (a WebSocket ping; SSE clients answer with their own pings). */
  ping(): void;
  onMessage(fn: (data: Buffer, isBinary: boolean) => void): void;
  onPong(fn: () => void): void;
  onClose(fn: () => void): void;
}

export class WebSocketTransport implements Transport {
  readonly kind = 'websocket';
  private corked = false;
  /**
   * `socket`, the connection under the WebSocket, is corked while messages are sent in one go (an
   * ack and the broadcasts of a group commit), so they leave in one write, not one each.
   */
  constructor(
    private readonly ws: WebSocket,
    private readonly socket?: Duplex,
  ) {}
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
  send(text: string): void {
    if (this.socket !== undefined && !this.corked) {
      this.corked = true;
      this.socket.cork();
      // After the current callback and its promise jobs: everything they send goes out together.
      process.nextTick(() => {
        this.corked = false;
        this.socket!.uncork();
      });
    }
    this.ws.send(text);
  }
  close(code: number, reason: string): void {
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
  }
  terminate(): void {
    this.ws.terminate();
  }
  ping(): void {
    this.ws.ping();
  }
  onMessage(fn: (data: Buffer, isBinary: boolean) => void): void {
    this.ws.on('message', (data: Buffer, isBinary: boolean) => fn(data, isBinary));
  }
  onPong(fn: () => void): void {
    this.ws.on('pong', fn);
  }
  onClose(fn: () => void): void {
    this.ws.on('close', fn);
    // Errors are followed by close; swallow them here so they never crash the process.
    this.ws.on('error', () => undefined);
  }
}
