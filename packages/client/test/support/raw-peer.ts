/**
 * A bare protocol client for tests that play a hostile or foreign peer: it speaks the wire
 * protocol over `ws` directly (no SDK), so it can send signals the SDK never would.
 */
import WebSocket from 'ws';
import type { ClientMessage, ServerMessage } from '@tandem/protocol';
import { waitUntil } from './wait.js';

export class RawPeer {
  readonly received: ServerMessage[] = [];
  connectionId = '';

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => this.received.push(JSON.parse(data.toString()) as ServerMessage));
  }

  /** Connects as dev user `userId` and completes the handshake. */
  static async connect(url: string, userId: string): Promise<RawPeer> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const peer = new RawPeer(ws);
    peer.send({ type: 'hello', protocols: [1], devUser: { id: userId, name: userId } });
    const welcome = await peer.next('welcome', (m) => m.type === 'welcome');
    if (welcome.type === 'welcome') peer.connectionId = welcome.connectionId;
    return peer;
  }

  send(message: ClientMessage): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The first message received (from now on or already) that `match` accepts. */
  async next(what: string, match: (m: ServerMessage) => boolean, timeoutMs = 5_000): Promise<ServerMessage> {
    let found: ServerMessage | undefined;
    await waitUntil(what, () => (found = this.received.find(match)) !== undefined, { timeoutMs });
    return found!;
  }

  async join(docId: string): Promise<void> {
    this.send({ type: 'join_session', docId, mode: 'events' });
    await this.next(`joined ${docId}`, (m) => (m.type === 'session_joined' && m.docId === docId) || (m.type === 'error' && m.docId === docId));
  }

  close(): void {
    this.ws.close();
  }
}
