/**
 * A streaming editor for durability and load tests: one connection, one document, one core Doc
 * replica. It keeps a bounded number of operations in flight (each a single random edit made on
 * the replica), merges remote operations as they arrive, and records every event it sent and every
 * event whose `operation_ack` arrived. Streaming stops on `stop()`, on the edit budget, or when the
 * connection closes; nothing here sleeps.
 */
import { Doc, agentId } from '@tandem/core';
import type { Event } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { TestClient } from './test-client.js';
import type { SeededRandom } from './storage-random.js';

export interface EditorOptions {
  readonly url: string;
  readonly userId: string;
  readonly docId: string;
  /** Agent id of the replica: unique per editor and run. */
  readonly agent: string;
  readonly rng: SeededRandom;
  /** Operations in flight at most. */
  readonly window?: number;
  /** Edits to send at most. */
  readonly budget?: number;
  /** Called after each ack with the events it acknowledged. */
  readonly onAck?: (events: readonly Event[], version: number) => void;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz éü\n';

export class StreamingEditor {
  readonly doc: Doc;
  readonly sent: Event[] = [];
  readonly acked: Event[] = [];
  /** Error messages received (none are expected while streaming). */
  readonly errors: ServerMessage[] = [];
  maxAckedVersion = 0;
  private readonly inFlight = new Map<string, readonly Event[]>();
  private stopped = false;
  private opSeq = 0;

  private constructor(
    readonly client: TestClient,
    private readonly options: EditorOptions,
  ) {
    this.doc = new Doc({ agent: agentId(options.agent) });
  }

  /** Connects, joins the document in events mode and loads what the server holds. */
  static async open(options: EditorOptions): Promise<StreamingEditor> {
    const client = await TestClient.hello(options.url, options.userId);
    const editor = new StreamingEditor(client, options);
    client.send({ type: 'join_session', docId: options.docId });
    const joined = await client.next<Extract<ServerMessage, { type: 'session_joined' }>>((m) => m.type === 'session_joined' || m.type === 'error');
    if (joined.type !== 'session_joined') throw new Error(`join failed: ${JSON.stringify(joined)}`);
    editor.doc.receive(joined.events ?? []);
    client.ws.on('message', () => editor.drainInbox());
    return editor;
  }

  get docId(): string {
    return this.options.docId;
  }

  /** Starts streaming: fills the window, then sends one more edit per ack. */
  start(): void {
    this.fill();
  }

  /** Sends nothing more; in-flight operations may still be acknowledged. */
  stop(): void {
    this.stopped = true;
  }

  close(): void {
    this.stopped = true;
    this.client.close();
  }

  private drainInbox(): void {
    const inbox = this.client.received.splice(0);
    for (const m of inbox) {
      if (m.type === 'operation_ack') {
        const events = this.inFlight.get(m.operationId);
        if (events === undefined) continue;
        this.inFlight.delete(m.operationId);
        this.acked.push(...events);
        this.maxAckedVersion = Math.max(this.maxAckedVersion, m.version);
        this.options.onAck?.(events, m.version);
      } else if (m.type === 'remote_operation' && 'events' in m) {
        this.doc.receive(m.events);
      } else if (m.type === 'error') {
        this.errors.push(m);
      }
    }
    this.fill();
  }

  private fill(): void {
    const window = this.options.window ?? 4;
    const budget = this.options.budget ?? 1000;
    while (!this.stopped && this.client.closeCode === undefined && this.inFlight.size < window && this.sent.length < budget) {
      const e = this.randomEdit();
      const operationId = `${this.options.agent}-${++this.opSeq}`;
      this.inFlight.set(operationId, [e]);
      this.sent.push(e);
      this.client.send({ type: 'operation', docId: this.options.docId, operationId, events: [e] });
    }
  }

  private randomEdit(): Event {
    const rng = this.options.rng;
    const roll = rng.next();
    if (roll < 0.1) return this.doc.setKey('meta', `k${rng.range(0, 5)}`, rng.range(0, 1000));
    const len = this.doc.textLength('body');
    if (roll < 0.35 && len > 0) {
      const pos = rng.range(0, len - 1);
      const del = this.doc.delete('body', pos, Math.min(len - pos, rng.range(1, 4)));
      if (del !== undefined) return del;
    }
    let text = '';
    for (let n = rng.range(1, 6); n > 0; n--) {
      const chars = [...ALPHABET];
      text += chars[rng.range(0, chars.length - 1)]!;
    }
    const e = this.doc.insert('body', rng.range(0, len), text);
    if (e === undefined) throw new Error('an insert of a non-empty text made no event');
    return e;
  }
}
