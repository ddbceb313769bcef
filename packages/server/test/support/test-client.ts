/**
 * A bare WebSocket client for integration tests: speaks the protocol as plain JSON, records every
 * message, and waits for a message matching a predicate with a deadline (never a sleep).
 */
import WebSocket from 'ws';
import type { ClientMessage, ServerMessage } from '@tandem/protocol';

export class TestClient {
  readonly received: ServerMessage[] = [];
  private waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  closeCode: number | undefined;
  private closedResolve: (() => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((r) => (this.closedResolve = r));
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as ServerMessage;
      this.received.push(m);
      const w = this.waiters.findIndex((x) => x.match(m));
      if (w >= 0) {
        const [waiter] = this.waiters.splice(w, 1);
        waiter!.resolve(m);
      }
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.closedResolve?.();
    });
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
    const ws = new WebSocket(url, { headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TestClient(ws);
  }

  /** Connects and completes the dev-mode handshake as `userId`. */
  static async hello(url: string, userId: string): Promise<TestClient> {
    const c = await TestClient.connect(url);
    c.send({ type: 'hello', protocols: [1], devUser: { id: userId, name: userId } });
    await c.next((m) => m.type === 'welcome');
    return c;
  }

  send(m: ClientMessage | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(m));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** The first message (already received or coming) matching `match`, within `ms`. */
  next<T extends ServerMessage = ServerMessage>(match: (m: ServerMessage) => boolean, ms = 5_000): Promise<T> {
    const seen = this.received.find(match);
    if (seen !== undefined) {
      this.received.splice(this.received.indexOf(seen), 1);
      return Promise.resolve(seen as T);
    }
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (m: ServerMessage) => {
          clearTimeout(timer);
          const i = this.received.indexOf(m);
          if (i >= 0) this.received.splice(i, 1);
          resolve(m as T);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching message within ${ms} ms; received: ${JSON.stringify(this.received).slice(0, 500)}`));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.ws.close();
  }
}
