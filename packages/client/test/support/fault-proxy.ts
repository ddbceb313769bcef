/**
 * A fault-injecting TCP proxy on 127.0.0.1 for tests: every accepted connection is forwarded to
 * the target port through two one-way pipes that add seeded latency and jitter (order kept, as TCP
 * keeps it). Faults, applied to one connection or all: `drop` (destroy both sockets: the client
 * sees the connection reset), `stall` (hold every byte for a while, then deliver), `halfOpen`
 * (stop forwarding for good without closing anything: only a heartbeat can find out), and
 * `down` mode (refuse new connections and drop live ones: the server is unreachable).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Rng } from './random.js';

export interface FaultProxyOptions {
  /** Base one-way latency, ms. */
  readonly latencyMs?: number;
  /** Extra random one-way latency, up to this many ms per chunk. */
  readonly jitterMs?: number;
}

/** One direction of one proxied connection. */
class Pipe {
  private lastDelivery = 0;
  private heldUntil = 0;
  frozen = false;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    private readonly to: Socket,
    private readonly delay: () => number,
  ) {}

  push(chunk: Buffer): void {
    if (this.frozen) return;
    const now = performance.now();
    // Order is kept: a chunk never overtakes the one before it, whatever its own delay.
    const at = Math.max(now + this.delay(), this.lastDelivery, this.heldUntil);
    this.lastDelivery = at;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.frozen && !this.to.destroyed) this.to.write(chunk);
    }, at - now);
    this.timers.add(timer);
  }

  hold(ms: number): void {
    this.heldUntil = Math.max(this.heldUntil, performance.now() + ms);
    // Chunks already scheduled are moved behind the stall too.
    this.lastDelivery = Math.max(this.lastDelivery, this.heldUntil);
  }

  /** Stops forwarding for good; scheduled chunks are discarded. */
  freeze(): void {
    this.frozen = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

interface Link {
  readonly id: number;
  readonly client: Socket;
  readonly upstream: Socket;
  readonly up: Pipe;
  readonly down: Pipe;
}

export class FaultProxy {
  private readonly server: Server;
  private readonly links = new Set<Link>();
  private nextId = 0;
  private isDown = false;
  latencyMs: number;
  jitterMs: number;
  /** Counts, for the test's report. */
  readonly stats = { accepted: 0, refused: 0, drops: 0, stalls: 0, halfOpens: 0 };

  private constructor(
    private readonly targetPort: number,
    private readonly rng: Rng,
    options: FaultProxyOptions,
    readonly port: number,
    server: Server,
  ) {
    this.server = server;
    this.latencyMs = options.latencyMs ?? 0;
    this.jitterMs = options.jitterMs ?? 0;
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(targetPort: number, rng: Rng, options: FaultProxyOptions = {}): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    return new FaultProxy(targetPort, rng, options, address.port, server);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** Live proxied connections (half-open ones included). */
  get connections(): number {
    return this.links.size;
  }

  private accept(client: Socket): void {
    if (this.isDown) {
      this.stats.refused++;
      client.destroy();
      return;
    }
    this.stats.accepted++;
    client.setNoDelay(true);
    const upstream = connect(this.targetPort, '127.0.0.1');
    upstream.setNoDelay(true);
    const delay = (): number => this.latencyMs + (this.jitterMs > 0 ? this.rng.next() * this.jitterMs : 0);
    const link: Link = { id: this.nextId++, client, upstream, up: new Pipe(upstream, delay), down: new Pipe(client, delay) };
    this.links.add(link);
    client.on('data', (chunk: Buffer) => link.up.push(chunk));
    upstream.on('data', (chunk: Buffer) => link.down.push(chunk));
    const close = (): void => this.close(link);
    // A half-open link ignores its ends closing: that is the point of it.
    client.on('close', () => {
      if (!link.up.frozen) close();
    });
    upstream.on('close', () => {
      if (!link.down.frozen) close();
    });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  }

  private close(link: Link): void {
    this.links.delete(link);
    link.up.freeze();
    link.down.freeze();
    link.client.destroy();
    link.upstream.destroy();
  }

  private pick(): Link | undefined {
    const live = [...this.links].filter((l) => !l.up.frozen);
    return live.length === 0 ? undefined : live[this.rng.int(live.length)];
  }

  /** Resets one random connection (or all). */
  drop(all = false): void {
    for (const link of all ? [...this.links] : [this.pick()]) {
      if (link === undefined) continue;
      this.stats.drops++;
      this.close(link);
    }
  }

  /** Holds every byte of one random connection for `ms`, then delivers them in order. */
  stall(ms: number): void {
    const link = this.pick();
    if (link === undefined) return;
    this.stats.stalls++;
    link.up.hold(ms);
    link.down.hold(ms);
  }

  /** One random connection stops forwarding in both directions without closing. */
  halfOpen(): void {
    const link = this.pick();
    if (link === undefined) return;
    this.stats.halfOpens++;
    link.up.freeze();
    link.down.freeze();
  }

  /** Down: refuse new connections and drop the live ones. Up: accept again. */
  setDown(down: boolean): void {
    this.isDown = down;
    if (down) this.drop(true);
  }

  /** Closes every connection and the listening socket. */
  async stop(): Promise<void> {
    for (const link of [...this.links]) this.close(link);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
