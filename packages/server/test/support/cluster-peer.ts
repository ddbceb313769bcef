/**
 * A cluster test client that behaves like the SDK in events mode, on the raw protocol: a core Doc
 * replica, the last server version it has everything up to, and an outbox of operations not yet
 * acknowledged. It streams seeded random edits (a bounded number in flight, the next sent on each
 * ack), shares a presence activity that changes now and then, and keeps its view of the other
 * users. When its node dies it can reconnect to another node: it rejoins with `since` and resends
 * the outbox in order, with the same event ids (the server deduplicates). Nothing here sleeps:
 * waits are on messages, with deadlines.
 */
import { Doc, agentId } from '@tandem/core';
import type { Event } from '@tandem/core';
import type { PresencePeer, ServerMessage } from '@tandem/protocol';
import type { SeededRandom } from './storage-random.js';
import { TestClient } from './test-client.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz é\n';

export interface PeerOptions {
  readonly userId: string;
  readonly docId: string;
  readonly agent: string;
  readonly rng: SeededRandom;
  /** Operations in flight at most. */
  readonly window: number;
  /** Edits to make in all. */
  readonly budget: number;
  /** Every this many acks (on average), a new presence activity. */
  readonly presenceEvery?: number;
  /** Called on every message and state change (tests re-check their conditions). */
  readonly onChange?: () => void;
}

export class ClusterPeer {
  readonly doc: Doc;
  /** The last server version this replica has everything up to. */
  version = 0;
  readonly sent: Event[] = [];
  readonly acked: Event[] = [];
  readonly errors: ServerMessage[] = [];
  /** Other users on the document as this client sees them. */
  readonly view = new Map<string, PresencePeer>();
  /** When each user left this client's view (ms since the epoch). */
  readonly leftAt = new Map<string, number>();
  /** The activity this client last shared. */
  activity = 'start';
  client: TestClient | undefined;
  /** `remote_operation`s received, by author. */
  readonly remoteFrom = new Map<string, number>();
  /** Users present in the room this client joined (see joinRoom), and the room events it got. */
  readonly roomView = new Set<string>();
  readonly roomEvents: { from: string; event: string }[] = [];
  private readonly outbox: { operationId: string; events: Event[] }[] = [];
  private opSeq = 0;
  private stopped = false;
  private acksSincePresence = 0;

  constructor(private readonly options: PeerOptions) {
    this.doc = new Doc({ agent: agentId(options.agent) });
  }

  get userId(): string {
    return this.options.userId;
  }

  get docId(): string {
    return this.options.docId;
  }

  get connected(): boolean {
    return this.client !== undefined && this.client.closeCode === undefined;
  }

  /** Everything made was acknowledged (the budget is spent, or streaming stopped). */
  get finished(): boolean {
    return this.outbox.length === 0 && (this.stopped || this.sent.length >= this.options.budget);
  }

  get unacknowledged(): number {
    return this.outbox.length;
  }

  /** Connects to `url`, joins (resuming from `version`), then resends the outbox and streams on. */
  async connect(url: string): Promise<void> {
    const client = await TestClient.hello(url, this.options.userId);
    this.client = client;
    client.send({ type: 'join_session', docId: this.docId, ...(this.version > 0 ? { since: this.version } : {}), presence: { activity: this.activity } });
    const joined = await client.next<Extract<ServerMessage, { type: 'session_joined' }>>((m) => (m.type === 'session_joined' || m.type === 'error') && m.docId === this.docId, 20_000);
    if (joined.type !== 'session_joined') throw new Error(`join failed: ${JSON.stringify(joined)}`);
    this.doc.receive(joined.events ?? []);
    this.version = Math.max(this.version, joined.version);
    this.view.clear();
    for (const p of joined.activeUsers) this.view.set(p.userId, p);
    client.ws.on('message', () => this.drain());
    client.closed.then(
      () => this.options.onChange?.(),
      () => undefined,
    );
    this.drain();
    for (const op of this.outbox) client.send({ type: 'operation', docId: this.docId, operationId: op.operationId, events: op.events });
    this.fill();
  }

  /** Enters a presence room (the answer arrives like any message). */
  joinRoom(room: string): void {
    this.client?.send({ type: 'join_room', room });
  }

  roomBroadcast(room: string, event: string): void {
    this.client?.send({ type: 'room_broadcast', room, event, data: { from: this.userId } });
  }

  /** Stops making edits; what is in flight may still be acknowledged. */
  stop(): void {
    this.stopped = true;
  }

  close(): void {
    this.stopped = true;
    this.client?.close();
  }

  private drain(): void {
    const client = this.client;
    if (client === undefined) return;
    for (const m of client.received.splice(0)) this.onMessage(m);
    this.fill();
    this.options.onChange?.();
  }

  private onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'operation_ack': {
        const i = this.outbox.findIndex((o) => o.operationId === m.operationId);
        if (i < 0) return;
        const [op] = this.outbox.splice(i, 1);
        this.acked.push(...op!.events);
        this.version = Math.max(this.version, m.version);
        if (++this.acksSincePresence >= (this.options.presenceEvery ?? Infinity) && this.options.rng.bool(0.7)) this.sharePresence();
        return;
      }
      case 'remote_operation':
        if ('events' in m) {
          this.doc.receive(m.events);
          this.remoteFrom.set(m.userId, (this.remoteFrom.get(m.userId) ?? 0) + 1);
          this.version = Math.max(this.version, m.version);
        }
        return;
      case 'room_joined':
        for (const p of m.members) if (p.status !== 'offline' && p.userId !== this.userId) this.roomView.add(p.userId);
        return;
      case 'room_event':
        this.roomEvents.push({ from: m.from, event: m.event });
        return;
      case 'user_joined':
      case 'presence':
        if (m.scope === 'room') this.roomView.add(m.peer.userId);
        if (m.scope === 'doc') {
          this.view.set(m.peer.userId, m.peer);
          this.leftAt.delete(m.peer.userId);
        }
        return;
      case 'user_left':
        if (m.scope === 'room') this.roomView.delete(m.userId);
        if (m.scope === 'doc') {
          this.view.delete(m.userId);
          this.leftAt.set(m.userId, Date.now());
        }
        return;
      case 'error':
        this.errors.push(m);
        return;
      default:
        return;
    }
  }

  private sharePresence(): void {
    this.acksSincePresence = 0;
    this.activity = `a${this.options.rng.range(0, 1_000_000)}`;
    this.client?.send({ type: 'presence_update', scope: 'doc', id: this.docId, state: { activity: this.activity } });
  }

  private fill(): void {
    const client = this.client;
    while (!this.stopped && client !== undefined && client.closeCode === undefined && this.outbox.length < this.options.window && this.sent.length < this.options.budget) {
      const e = this.randomEdit();
      const operationId = `${this.options.agent}-${++this.opSeq}`;
      this.outbox.push({ operationId, events: [e] });
      this.sent.push(e);
      client.send({ type: 'operation', docId: this.docId, operationId, events: [e] });
    }
  }

  private randomEdit(): Event {
    const rng = this.options.rng;
    const roll = rng.next();
    if (roll < 0.08) return this.doc.setKey('meta', `k${rng.range(0, 4)}`, rng.range(0, 1000));
    const len = this.doc.textLength('body');
    if (roll < 0.35 && len > 0) {
      const pos = rng.range(0, len - 1);
      const del = this.doc.delete('body', pos, Math.min(len - pos, rng.range(1, 3)));
      if (del !== undefined) return del;
    }
    let text = '';
    for (let n = rng.range(1, 5); n > 0; n--) text += ALPHABET[rng.range(0, ALPHABET.length - 1)]!;
    const e = this.doc.insert('body', rng.range(0, len), text);
    if (e === undefined) throw new Error('an insert of a non-empty text made no event');
    return e;
  }
}

/** Resolves when `condition` holds, re-checked on every peer change, or rejects after `ms`. */
export function until(peers: readonly ClusterPeer[], condition: () => boolean, ms: number, what: string, listeners: Set<() => void>): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (!condition()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`deadline of ${ms} ms passed waiting for ${what}; versions ${peers.map((p) => p.version).join(',')}`));
    }, ms);
    const cleanup = (): void => {
      clearTimeout(timer);
      listeners.delete(check);
    };
    listeners.add(check);
  });
}
