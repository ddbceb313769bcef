/**
 * The server side of TCP connections accepted in this process, seen through the `net.server.socket`
 * diagnostics channel, so a test can wait for the server to really close a connection (the socket's
 * own 'close' event) rather than guess from what the client sees or poll a gauge.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { withDeadline } from './deadline.js';

export class ServerSockets {
  private readonly sockets: Socket[] = [];
  private readonly onSocket = (message: unknown): void => {
    const socket = (message as { socket?: Socket }).socket;
    if (socket !== undefined) this.sockets.push(socket);
  };

  constructor() {
    subscribe('net.server.socket', this.onSocket);
  }

  /** The accepted socket whose peer is the client socket bound to `clientPort` on this host. */
  peerOf(clientPort: number): Socket {
    const s = this.sockets.find((x) => x.remotePort === clientPort);
    if (s === undefined) throw new Error(`no accepted socket for client port ${clientPort}`);
    return s;
  }

  /** Resolves when the server-side socket of `clientPort` has closed, within `ms`. */
  closedWithin(clientPort: number, ms: number, what: string): Promise<void> {
    const s = this.peerOf(clientPort);
    if (s.closed) return Promise.resolve();
    return withDeadline(new Promise<void>((resolve) => s.once('close', () => resolve())), ms, what);
  }

  dispose(): void {
    unsubscribe('net.server.socket', this.onSocket);
    this.sockets.length = 0;
  }
}
