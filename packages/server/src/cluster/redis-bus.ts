/**
 * RedisBus is the ClusterBus over Redis (ioredis): pub/sub channels for the messages, and keys with
 * a TTL for node liveness and presence snapshots. It owns the Redis layout (below) and the two
 * connections: one for commands and publishing, one in subscriber mode (Redis allows nothing else on
 * a subscribed connection). Both reconnect by themselves, forever, with a capped backoff.
 *
 * Layout, under the configured prefix P:
 *   P:doc:<docId>             channel: commit notices of a document
 *   P:presence:<scope>:<id>   channel: presence relays and room events of a room
 *   P:nodes                   channel: heartbeats
 *   P:node:<nodeId>           channel: messages for one node (signals)
 *   P:alive:<nodeId>          key: the node's epoch; expires unless heartbeats refresh it
 *   P:members                 set: node ids seen (readers check their alive key); expires an hour
 *                             after the last heartbeat
 *   P:pres:<scope>:<id>:<nodeId>  hash: connection → presence entry; expires like the alive key
 * Node ids cannot contain ':', so the last segment of a snapshot key names its node unambiguously.
 *
 * Commands fail fast while disconnected (no offline queue): a stale notice replayed minutes later
 * would be worthless, and failures are reported so the cluster can compensate. Any failed write
 * marks the node's snapshots dirty, and the next heartbeat rewrites them and says so (`fresh`).
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { parseRoomKey, roomKey } from './cluster-bus.js';
import type { BusListener, ClusterBus, DirectMessage, NodeHeartbeat, PresenceEntry, PresenceRelay, RoomRef } from './cluster-bus.js';
import { parseCommit, parseDirect, parseEntry, parseHeartbeat, parseRelay } from './bus-messages.js';

export interface RedisBusOptions {
  readonly url: string;
  readonly nodeId: string;
  readonly epoch: string;
  readonly prefix: string;
  /** TTL of the liveness key: a node not refreshing it this long is gone for readers. */
  readonly nodeTimeoutMs: number;
  readonly logger: Logger;
}

const MEMBERS_TTL_MS = 3_600_000;

/** Reconnect delay: quick at first, then once a second, forever (a node must come back by itself). */
function retryDelay(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 5), 1_000);
}

export class RedisBus implements ClusterBus {
  readonly clustered = true;
  readonly nodeId: string;
  readonly epoch: string;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly p: string;
  private readonly watched = new Set<string>();
  private listener: BusListener | undefined;
  private cmdReady = false;
  private subReady = false;
  private wasHealthy = false;
  /** A write failed: the stored snapshots may not match this node's presence. */
  private dirty = true;
  private closed = false;
  private lastErrorLog = 0;

  constructor(private readonly options: RedisBusOptions) {
    this.nodeId = options.nodeId;
    this.epoch = options.epoch;
    this.p = options.prefix;
    const common = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: retryDelay, connectTimeout: 2_000 } as const;
    this.cmd = new Redis(options.url, { ...common, connectionName: `tandem:${options.nodeId}:cmd` });
    // Subscriptions are restored by this class on 'ready' (then it resynchronizes), not behind its back.
    this.sub = new Redis(options.url, { ...common, autoResubscribe: false, connectionName: `tandem:${options.nodeId}:sub` });
  }

  get healthy(): boolean {
    return this.cmdReady && this.subReady;
  }

  async start(listener: BusListener): Promise<void> {
    this.listener = listener;
    this.cmd.on('ready', () => {
      this.cmdReady = true;
      this.updateHealth();
    });
    this.sub.on('ready', () => void this.resubscribe());
    for (const [conn, name] of [
      [this.cmd, 'command'],
      [this.sub, 'subscriber'],
    ] as const) {
      conn.on('close', () => {
        if (conn === this.cmd) this.cmdReady = false;
        else this.subReady = false;
        this.updateHealth();
      });
      conn.on('error', (err: Error) => this.logError(err, name));
    }
    this.sub.on('message', (channel: string, text: string) => this.onMessage(channel, text));
    // A Redis that is down at start is not fatal: the node serves, polling storage, until it comes.
    await Promise.allSettled([this.cmd.connect(), this.sub.connect()]);
  }

  private async resubscribe(): Promise<void> {
    try {
      await this.sub.subscribe(`${this.p}:nodes`, `${this.p}:node:${this.nodeId}`, ...this.watched);
      this.subReady = true;
      this.updateHealth();
    } catch (err) {
      // The connection dropped again; the next 'ready' retries.
      this.logError(err, 'subscriber');
    }
  }

  private updateHealth(): void {
    const now = this.healthy;
    if (now === this.wasHealthy || this.closed) return;
    this.wasHealthy = now;
    if (now) this.dirty = true;
    this.options.logger.info({ node: this.nodeId }, now ? 'cluster bus connected' : 'cluster bus disconnected: catching up from storage until it is back');
    this.listener?.health(now);
  }

  private logError(err: unknown, which: string): void {
    // ioredis reports every failed reconnect attempt: one line per 10 s is enough.
    const now = Date.now();
    if (now - this.lastErrorLog < 10_000 || this.closed) return;
    this.lastErrorLog = now;
    this.options.logger.warn({ err, which }, 'Redis connection error (retrying)');
  }

  private onMessage(channel: string, text: string): void {
    const listener = this.listener;
    if (listener === undefined) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return;
    }
    const p = this.p;
    if (channel === `${p}:nodes`) {
      const beat = parseHeartbeat(value);
      if (beat !== undefined && beat.node !== this.nodeId) listener.heartbeat(beat);
    } else if (channel === `${p}:node:${this.nodeId}`) {
      const m = parseDirect(value);
      if (m !== undefined) listener.direct(m);
    } else if (channel.startsWith(`${p}:doc:`)) {
      const notice = parseCommit(value, channel.slice(p.length + 5));
      if (notice !== undefined && notice.node !== this.nodeId) listener.commit(notice);
    } else if (channel.startsWith(`${p}:presence:`)) {
      const relay = parseRelay(value);
      if (relay !== undefined && relay.node !== this.nodeId) listener.presence(parseRoomKey(channel.slice(p.length + 10)), relay);
    }
  }

  private async watch(channel: string): Promise<void> {
    if (this.watched.has(channel)) return;
    this.watched.add(channel);
    if (!this.subReady) return;
    try {
      await this.sub.subscribe(channel);
    } catch (err) {
      this.logError(err, 'subscriber');
    }
  }

  private unwatch(channel: string): void {
    if (!this.watched.delete(channel) || !this.subReady) return;
    this.sub.unsubscribe(channel).catch((err: unknown) => this.logError(err, 'subscriber'));
  }

  private async publish(channel: string, message: object): Promise<boolean> {
    if (!this.cmdReady) return false;
    try {
      await this.cmd.publish(channel, JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  watchDoc(docId: string): Promise<void> {
    return this.watch(`${this.p}:doc:${docId}`);
  }

  unwatchDoc(docId: string): void {
    this.unwatch(`${this.p}:doc:${docId}`);
  }

  publishCommit(docId: string, head: number): Promise<boolean> {
    return this.publish(`${this.p}:doc:${docId}`, { node: this.nodeId, head });
  }

  watchRoom(room: RoomRef): Promise<void> {
    return this.watch(`${this.p}:presence:${roomKey(room)}`);
  }

  unwatchRoom(room: RoomRef): void {
    this.unwatch(`${this.p}:presence:${roomKey(room)}`);
  }

  async publishPresence(room: RoomRef, message: PresenceRelay): Promise<boolean> {
    const ok = await this.publish(`${this.p}:presence:${roomKey(room)}`, message);
    if (!ok) this.dirty = true;
    return ok;
  }

  sendToNode(node: string, message: DirectMessage): Promise<boolean> {
    return this.publish(`${this.p}:node:${node}`, message);
  }

  private snapshotKey(room: RoomRef, node: string): string {
    return `${this.p}:pres:${roomKey(room)}:${node}`;
  }

  /** Snapshots outlive the liveness key, so a reader that finds a node alive finds its snapshot. */
  private get snapshotTtl(): number {
    return 2 * this.options.nodeTimeoutMs;
  }

  async savePresence(room: RoomRef, conn: string, entry: PresenceEntry | null): Promise<void> {
    if (!this.cmdReady) {
      this.dirty = true;
      return;
    }
    const key = this.snapshotKey(room, this.nodeId);
    try {
      if (entry === null) await this.cmd.hdel(key, conn);
      else await this.cmd.multi().hset(key, conn, JSON.stringify(entry)).pexpire(key, this.snapshotTtl).exec();
    } catch {
      this.dirty = true;
    }
  }

  async heartbeat(
    active: readonly string[],
    rooms: readonly RoomRef[],
    snapshot: () => ReadonlyMap<string, readonly PresenceEntry[]>,
    fresh: boolean,
  ): Promise<{ rewrote: boolean }> {
    if (!this.cmdReady) return { rewrote: false };
    try {
      const alive = `${this.p}:alive:${this.nodeId}`;
      // The previous value says whether the keys survived (a Redis restart or a long stall loses them).
      const before = await this.cmd.get(alive);
      const rewrite = fresh || this.dirty || before !== this.epoch;
      if (rewrite) {
        this.dirty = false;
        const tx = this.cmd.multi();
        for (const [key, entries] of snapshot()) {
          const k = this.snapshotKey(parseRoomKey(key), this.nodeId);
          tx.del(k);
          if (entries.length === 0) continue;
          tx.hset(k, ...entries.flatMap((e) => [e.conn, JSON.stringify(e)]));
          tx.pexpire(k, this.snapshotTtl);
        }
        // The liveness key last: a reader that sees it alive sees the complete snapshot.
        tx.set(alive, this.epoch, 'PX', this.options.nodeTimeoutMs);
        this.member(tx);
        await tx.exec();
      } else {
        const pipe = this.cmd.pipeline().set(alive, this.epoch, 'PX', this.options.nodeTimeoutMs);
        for (const room of rooms) pipe.pexpire(this.snapshotKey(room, this.nodeId), this.snapshotTtl);
        this.member(pipe);
        await pipe.exec();
      }
      const beat: NodeHeartbeat = { node: this.nodeId, epoch: this.epoch, fresh: rewrite, active };
      if (!(await this.publish(`${this.p}:nodes`, beat))) this.dirty = true;
      return { rewrote: rewrite };
    } catch (err) {
      this.dirty = true;
      this.logError(err, 'command');
      return { rewrote: false };
    }
  }

  /** Lists this node in the member set, which outlives the last node by an hour, then goes away. */
  private member(batch: ReturnType<Redis['pipeline']>): void {
    batch.sadd(`${this.p}:members`, this.nodeId).pexpire(`${this.p}:members`, MEMBERS_TTL_MS);
  }

  async loadPresence(room: RoomRef, nodes?: readonly string[]): Promise<Map<string, PresenceEntry[]>> {
    const out = new Map<string, PresenceEntry[]>();
    if (!this.cmdReady) return out;
    const candidates = (nodes ?? (await this.cmd.smembers(`${this.p}:members`))).filter((n) => n !== this.nodeId);
    if (candidates.length === 0) return out;
    const pipe = this.cmd.pipeline();
    for (const node of candidates) pipe.get(`${this.p}:alive:${node}`).hgetall(this.snapshotKey(room, node));
    const results = (await pipe.exec()) ?? [];
    candidates.forEach((node, i) => {
      const [aliveErr, alive] = results[2 * i] ?? [null, null];
      const [hashErr, hash] = results[2 * i + 1] ?? [null, null];
      if (aliveErr !== null || hashErr !== null || typeof alive !== 'string' || typeof hash !== 'object' || hash === null) return;
      const entries: PresenceEntry[] = [];
      for (const text of Object.values(hash as Record<string, unknown>)) {
        const entry = typeof text === 'string' ? parseEntry(text) : undefined;
        if (entry !== undefined) entries.push(entry);
      }
      out.set(node, entries);
    });
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sub.disconnect();
    if (this.cmdReady) {
      // Readers stop trusting this node's snapshots at once (its connections were closed already);
      // QUIT lets the relays queued before it (their leaves) go out first.
      const quit = this.cmd.del(`${this.p}:alive:${this.nodeId}`).then(() => this.cmd.quit());
      await Promise.race([quit.catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())]);
    }
    this.cmd.disconnect();
  }
}
