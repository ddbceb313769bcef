/**
 * The state machine of the handler fuzz test: several connections (core replicas in events mode,
 * plain OT clients) fed batches of valid edits, plausible events, plausible messages of every type
 * and their mutations; the bookkeeping of what was acknowledged; and generations of documents
 * (fresh ones every few batches, so no history grows long enough for merge cost to dominate the
 * run). Each batch ends with a resync and a barrier ping, so replicas rebuild only from a state
 * nothing of theirs came after.
 */
import { Doc, agentId } from '@tandem/core';
import type { Event } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { EventSet, payloadOf } from './event-log.js';
import { FuzzPeer } from './fuzz-peer.js';
import { baseMessage, mutateText, mutateValue, randomEvent, withField } from './fuzz-messages.js';
import type { FuzzContext, Json, JsonObject } from './fuzz-messages.js';
import type { SeededRandom } from './storage-random.js';
import { TestClient } from './test-client.js';
import type { RunningServer } from './test-server.js';

export const FUZZ_USERS = ['fz0', 'fz1', 'fz2', 'fz3'] as const;
const MODES: readonly ('events' | 'ot')[] = ['events', 'events', 'ot', 'ot'];
const ROOMS = ['room-1', '__proto__'];
/** Document ids of the first generation, made before any fuzz message could create them. */
const HOSTILE_DOCS = ['__proto__', 'constructor'];
const BATCH = 500;

interface PeerState {
  readonly peer: FuzzPeer;
  readonly user: string;
  readonly mode: 'events' | 'ot';
  readonly index: number;
  /** Events mode: a replica per document, rebuilt from the server when it may have diverged. */
  readonly docs: Map<string, Doc>;
  /** OT mode: the text and server version an op is written against. */
  readonly bases: Map<string, { version: number; text: string }>;
  readonly dirty: Set<string>;
  /** The last whole history a join answered with, per document. */
  readonly lastFull: Map<string, readonly Event[]>;
  /** Every document a join was answered for (left when a generation ends). */
  readonly joined: Set<string>;
  /** Next seq of the plausible-random agent per document, advanced on acks. */
  readonly plausibleSeq: Map<string, number>;
  /** operationId → the document, its well-formed events, and what kind of message it was. */
  readonly ops: Map<string, { docId: string; events: Event[]; valid: boolean; plausible?: number }>;
}

/** `pos` moved back off the middle of a surrogate pair. */
function wholeChar(text: string, pos: number): number {
  return pos > 0 && pos < text.length && (text.charCodeAt(pos) & 0xfc00) === 0xdc00 ? pos - 1 : pos;
}

/** UTF-16 length of the character at `pos` (2 for a surrogate pair). */
function charLength(text: string, pos: number): number {
  return (text.charCodeAt(pos) & 0xfc00) === 0xd800 && pos + 1 < text.length ? 2 : 1;
}

/** The events of a message well-formed enough to be stored (the others never can be). */
function checkable(message: JsonObject): Event[] {
  const events = message['events'];
  if (!Array.isArray(events)) return [];
  const out: Event[] = [];
  for (const e of events) {
    try {
      payloadOf(e as unknown as Event);
      out.push(e as unknown as Event);
    } catch {
      // Malformed: it cannot be stored, so there is nothing to check for it.
    }
  }
  return out;
}

export class FuzzRun {
  readonly peers: PeerState[] = [];
  /** Per document: events of acknowledged messages (all of which must be stored). */
  readonly acked = new Map<string, EventSet>();
  readonly brokenStates: string[] = [];
  readonly validErrors = new Map<string, number>();
  readonly stats = { sent: 0, validSent: 0, validAcked: 0, plausibleAcked: 0, acks: 0 };
  private docs: string[] = [];
  private readonly recentIds = new Map<string, { agent: string; seq: number }[]>();
  private opCounter = 0;
  private readonly ctx: FuzzContext;

  constructor(
    private readonly srv: RunningServer,
    private readonly rng: SeededRandom,
    private readonly seed: number,
  ) {
    const run = this;
    this.ctx = {
      get docs() {
        return run.docs;
      },
      rooms: ROOMS,
      knownIds: (docId) => this.recentIds.get(docId) ?? [],
      textLength: (docId) => this.peers[0]?.docs.get(docId)?.textLength('body') ?? 0,
      connectionIds: () => this.peers.map((p) => p.peer.connectionId),
      nextOperationId: () => `op-${++this.opCounter}`,
    };
  }

  async open(): Promise<void> {
    for (let i = 0; i < FUZZ_USERS.length; i++) {
      const peer = await FuzzPeer.open(this.srv.url, FUZZ_USERS[i]!);
      const state: PeerState = {
        peer, user: FUZZ_USERS[i]!, mode: MODES[i]!, index: i, docs: new Map(), bases: new Map(), dirty: new Set(),
        lastFull: new Map(), joined: new Set(), plausibleSeq: new Map(), ops: new Map(),
      };
      peer.onMessage = (m) => this.onReply(state, m);
      this.peers.push(state);
    }
  }

  /** Leaves every document, then makes generation `g`'s documents (fz0 owns them) and joins them. */
  async startGeneration(g: number): Promise<void> {
    this.docs = [`fz-a-${g}`, `fz-b-${g}`, HOSTILE_DOCS[2 * g] ?? `fz-c-${g}`, HOSTILE_DOCS[2 * g + 1] ?? `fz-d-${g}`];
    for (const docId of this.docs) {
      this.recentIds.set(docId, []);
      const owner = await TestClient.hello(this.srv.url, 'fz0');
      try {
        owner.send({ type: 'join_session', docId });
        await owner.next((m) => m.type === 'session_joined');
      } finally {
        owner.close();
      }
      for (const u of FUZZ_USERS.slice(1)) await this.srv.server.services.permissions.grant(docId, 'fz0', u, 'editor');
    }
    await Promise.all(
      this.peers.map(async (s) => {
        for (const docId of s.joined) s.peer.sendText(JSON.stringify({ type: 'leave_session', docId }));
        s.joined.clear();
        s.docs.clear();
        s.dirty.clear();
        for (const docId of this.docs) s.peer.sendText(JSON.stringify({ type: 'join_session', docId, mode: s.mode }));
        await s.peer.barrier(-1 - g);
        this.rebuild(s, this.docs);
      }),
    );
  }

  /** One batch on one connection, then a resync of what may have diverged and a barrier. */
  async runBatch(s: PeerState, batch: number): Promise<void> {
    const rng = this.rng;
    for (let i = 0; i < BATCH; i++) {
      const roll = rng.next();
      const valid = roll < 0.05 ? this.validEdit(s) : undefined;
      if (valid !== undefined) {
        this.stats.validSent++;
        this.send(s, valid, true);
      } else if (roll < 0.1) {
        const p = this.plausibleEvent(s);
        this.send(s, p.message, false, p.seq);
      } else if (roll < 0.55) {
        this.send(s, baseMessage(rng, this.ctx), false);
      } else if (roll < 0.9) {
        const m = rng.bool(0.3) ? this.plausibleEvent(s).message : baseMessage(rng, this.ctx);
        for (let k = rng.range(1, 3); k > 0; k--) mutateValue(rng, m);
        if (rng.bool(0.05)) withField(m, '__proto__', { type: 'ping', polluted: true });
        this.send(s, m, false);
      } else if (roll < 0.98) {
        this.sendText(s, mutateText(rng, JSON.stringify(baseMessage(rng, this.ctx))));
      } else {
        s.peer.sendBinary(Buffer.from(JSON.stringify({ type: 'ping', t: i })));
        this.stats.sent++;
      }
    }
    const stale = s.mode === 'events' ? [...s.dirty] : this.docs;
    for (const docId of stale) {
      s.peer.sendText(JSON.stringify({ type: 'leave_session', docId }));
      s.peer.sendText(JSON.stringify({ type: 'join_session', docId, mode: s.mode }));
    }
    // Mutations may have left a document; otherwise this answers "already joined".
    for (const docId of this.docs) s.peer.sendText(JSON.stringify({ type: 'join_session', docId, mode: s.mode }));
    await s.peer.barrier(1e12 + batch);
    this.rebuild(s, stale);
  }

  /** Replaces replicas from the last whole history before the barrier: nothing of ours came after. */
  private rebuild(s: PeerState, docIds: readonly string[]): void {
    if (s.mode !== 'events') return;
    for (const docId of docIds) {
      const events = s.lastFull.get(docId);
      if (events === undefined) continue;
      const d = new Doc({ agent: agentId(`fz-${s.index}-${this.seed}`) });
      try {
        d.receive(events);
        s.docs.set(docId, d);
        s.dirty.delete(docId);
      } catch (e) {
        this.brokenStates.push(`${docId}: the whole history sent on join does not rebuild: ${String(e)}`);
      }
    }
  }

  private send(s: PeerState, message: JsonObject, valid: boolean, plausible?: number): void {
    // A mutated operationId may repeat one in flight; acks could then not be told apart.
    if (typeof message['operationId'] === 'string' && s.ops.has(message['operationId'])) message['operationId'] = this.ctx.nextOperationId();
    const { type, operationId, docId } = message;
    if (type === 'operation' && typeof operationId === 'string' && typeof docId === 'string') {
      s.ops.set(operationId, { docId, events: checkable(message), valid, ...(plausible !== undefined ? { plausible } : {}) });
    }
    s.peer.sendText(JSON.stringify(message));
    this.stats.sent++;
  }

  /** Sends corrupted JSON text; what still parses as an operation is recorded like any other. */
  private sendText(s: PeerState, text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const m = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonObject) : undefined;
    if (m !== undefined && m['type'] === 'operation') {
      this.send(s, m, false);
      return;
    }
    s.peer.sendText(text);
    this.stats.sent++;
  }

  private remember(docId: string, events: readonly Event[]): void {
    const ring = this.recentIds.get(docId);
    if (ring === undefined) return;
    for (const e of events) ring.push({ agent: e.id.agent, seq: e.id.seq });
    if (ring.length > 64) ring.splice(0, ring.length - 64);
  }

  private onReply(s: PeerState, m: ServerMessage): void {
    if (m.type === 'session_joined') {
      s.joined.add(m.docId);
      if (!this.docs.includes(m.docId)) return;
      if (s.mode === 'events') {
        const events = m.events ?? [];
        // Mutated joins may carry `since`: only a whole history can replace a replica.
        if (events.length !== m.version) return;
        s.lastFull.set(m.docId, events);
        this.remember(m.docId, events.slice(-64));
      } else if (m.content !== undefined) {
        s.bases.set(m.docId, { version: m.version, text: m.content['body'] ?? '' });
      }
    } else if (m.type === 'remote_operation' && 'events' in m && s.mode === 'events') {
      this.remember(m.docId, m.events);
      try {
        s.docs.get(m.docId)?.receive(m.events);
      } catch {
        // It builds on an event this connection sent outside its replica (a plausible or mutated
        // one the server accepted): rebuild the replica at the end of the batch.
        s.dirty.add(m.docId);
      }
    } else if (m.type === 'operation_ack') {
      this.stats.acks++;
      const op = s.ops.get(m.operationId);
      if (op === undefined) return;
      if (op.valid) this.stats.validAcked++;
      if (op.plausible !== undefined) {
        this.stats.plausibleAcked++;
        s.plausibleSeq.set(op.docId, Math.max(s.plausibleSeq.get(op.docId) ?? 0, op.plausible + 1));
      }
      let set = this.acked.get(op.docId);
      if (set === undefined) this.acked.set(op.docId, (set = new EventSet()));
      set.addAll(op.events);
      this.remember(op.docId, op.events);
    } else if (m.type === 'error' && m.ref !== undefined) {
      const op = s.ops.get(m.ref);
      if (op?.valid === true) {
        s.dirty.add(op.docId);
        this.validErrors.set(m.code, (this.validErrors.get(m.code) ?? 0) + 1);
      }
    }
  }

  private validEdit(s: PeerState): JsonObject | undefined {
    const rng = this.rng;
    const docId = this.docs[rng.range(0, this.docs.length - 1)]!;
    if (s.mode === 'events') {
      const d = s.docs.get(docId);
      if (d === undefined || s.dirty.has(docId)) return undefined;
      const text = d.getText('body');
      let e: Event | undefined;
      if (rng.bool(0.15)) e = d.setKey('meta', rng.bool(0.2) ? '__proto__' : `k${rng.range(0, 9)}`, rng.range(0, 99));
      else if (rng.bool(0.3) && text.length > 0) {
        const at = wholeChar(text, rng.range(0, text.length - 1));
        e = d.delete('body', at, charLength(text, at));
      } else e = d.insert('body', wholeChar(text, rng.range(0, text.length)), 'abcdefgh'.slice(0, rng.range(1, 4)));
      if (e === undefined) return undefined;
      return { type: 'operation', docId, operationId: this.ctx.nextOperationId(), events: [e as unknown as Json] };
    }
    const base = s.bases.get(docId);
    if (base === undefined) return undefined;
    const at = wholeChar(base.text, rng.range(0, base.text.length));
    const operations: Json[] = at > 0 ? [{ type: 'retain', length: at }] : [];
    if (rng.bool(0.3) && at < base.text.length) operations.push({ type: 'delete', length: charLength(base.text, at) });
    else operations.push({ type: 'insert', content: 'ot' });
    return { type: 'operation', docId, operationId: this.ctx.nextOperationId(), version: base.version, operations };
  }

  /** An event with a random op on a real document: parents at its frontier or recent ids, seq near the next. */
  private plausibleEvent(s: PeerState): { message: JsonObject; seq: number } {
    const rng = this.rng;
    const docId = this.docs[rng.range(0, this.docs.length - 1)]!;
    const seq = Math.max(0, (s.plausibleSeq.get(docId) ?? 0) + rng.range(-1, 1));
    const event = randomEvent(rng, this.ctx, docId, `fzr${s.index}-${this.docs.indexOf(docId)}-${this.seed}`, seq);
    const frontier = (s.docs.get(docId) ?? this.peers[0]?.docs.get(docId))?.version;
    if (frontier !== undefined && rng.bool(0.7)) event['parents'] = frontier.map((id) => ({ agent: id.agent, seq: id.seq }));
    return { message: { type: 'operation', docId, operationId: this.ctx.nextOperationId(), events: [event] }, seq };
  }
}
