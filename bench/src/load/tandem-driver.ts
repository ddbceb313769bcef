/**
 * The Tandem load client: a core `Doc` replica speaking events mode over the wire client. Like the
 * SDK it keeps one `operation` in flight per document and batches the edits made meanwhile into the
 * next one (up to the server's `maxEventsPerMessage`); `remote_operation` events are merged into the
 * replica — all those that arrived in one turn of the event loop in one `receive` call, since each
 * call that meets concurrent events pays for an Eg-walker replay. A `RATE_LIMITED` refusal of the operation in flight is retried after a pause (resending is
 * safe: events are deduplicated by id); every other server error is a protocol error.
 */
import { Doc, opFromPatch } from '@tandem/core';
import type { Event } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import type { ReceiverProgress } from './delivery-tracker.js';
import type { ClientContext, LoadClient, LoadDriver } from './load-driver.js';
import { TandemWireClient } from './tandem-wire-client.js';
import type { TypingModel } from './typing-model.js';

const TEXT = 'body';
const RATE_LIMIT_PAUSE_MS = 50;
/** The dev-mode user of every load client. */
export const LOAD_USER = 'tandem-load';

interface InFlight {
  readonly operationId: string;
  readonly events: readonly Event[];
}

class TandemLoadClient implements LoadClient {
  private pending: Event[] = [];
  private inFlight: InFlight | undefined;
  private operations = 0;
  /** Set when the server refused an operation: the client makes no more edits. */
  private broken = false;
  private readonly progress: ReceiverProgress;
  private readonly maxEvents: number;

  constructor(
    private readonly wire: TandemWireClient,
    private readonly doc: Doc,
    private readonly context: ClientContext,
  ) {
    this.progress = context.tracker.receiver(context.clientName);
    this.maxEvents = wire.welcome?.limits.maxEventsPerMessage ?? 1000;
    wire.onMessage((m) => this.onMessage(m));
    wire.onClose(() => {
      if (context.running()) context.issues.disconnects++;
    });
  }

  edit(model: TypingModel): boolean {
    if (!this.wire.open || this.broken) return false;
    const { pos, del, ins } = model.next(this.doc.textLength(TEXT));
    const event = this.doc.editText(TEXT, opFromPatch(pos, del, ins));
    if (event === undefined) return false;
    this.context.tracker.sent(this.doc.agent, event.id.seq + 1);
    this.pending.push(event);
    this.flush();
    return true;
  }

  private flush(): void {
    if (this.inFlight !== undefined || this.pending.length === 0) return;
    const events = this.pending.length <= this.maxEvents ? this.pending : this.pending.slice(0, this.maxEvents);
    this.pending = this.pending.length <= this.maxEvents ? [] : this.pending.slice(this.maxEvents);
    this.inFlight = { operationId: `op-${++this.operations}`, events };
    this.sendInFlight();
  }

  private sendInFlight(): void {
    const f = this.inFlight;
    if (f !== undefined) this.wire.send({ type: 'operation', docId: this.context.docId, operationId: f.operationId, events: f.events });
  }

  private onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'operation_ack':
        if (this.inFlight !== undefined && m.operationId === this.inFlight.operationId) {
          this.inFlight = undefined;
          this.flush();
        }
        return;
      case 'remote_operation':
        if ('events' in m) this.queueRemote(m.events);
        return;
      case 'error':
        if (m.code === 'RATE_LIMITED' && this.inFlight !== undefined && m.ref === this.inFlight.operationId) {
          this.context.issues.rateLimited++;
          setTimeout(() => this.sendInFlight(), RATE_LIMIT_PAUSE_MS);
          return;
        }
        this.context.issues.error(m.code, m.message);
        // A refused operation leaves this replica ahead of the server: every later event would miss
        // its parents. The client stops editing (its edits stay undelivered and are counted so).
        if (this.inFlight !== undefined && m.ref === this.inFlight.operationId) this.broken = true;
        return;
      default:
        return;
    }
  }

  /** Remote events received in this turn of the event loop, merged together at its end. */
  private remoteQueue: (readonly Event[])[] = [];

  private queueRemote(events: readonly Event[]): void {
    if (this.remoteQueue.length === 0) setImmediate(() => this.drainRemote());
    this.remoteQueue.push(events);
  }

  private drainRemote(): void {
    const queued = this.remoteQueue;
    this.remoteQueue = [];
    this.applyRemote(queued.length === 1 ? queued[0]! : queued.flat());
  }

  private applyRemote(events: readonly Event[]): void {
    try {
      this.doc.receive(events);
    } catch (err) {
      this.context.issues.error('CLIENT_MERGE', err instanceof Error ? err.message : String(err));
      return;
    }
    // Each sender's events arrive in order and the batch applied whole: its highest seq is reached.
    const reached = new Map<string, number>();
    for (const e of events) {
      const mark = e.id.seq + 1;
      if ((reached.get(e.id.agent) ?? 0) < mark) reached.set(e.id.agent, mark);
    }
    for (const [agent, mark] of reached) this.context.tracker.reached(this.progress, agent, mark);
  }

  textLength(): number {
    return this.doc.textLength(TEXT);
  }

  close(): void {
    this.wire.close();
  }
}

export const tandemDriver: LoadDriver = {
  system: 'tandem',
  async connect(context: ClientContext): Promise<LoadClient> {
    // One user for every client (each client is another tab of that user, with its own agent): a new
    // document belongs to its first visitor alone, so other users could not join it.
    const wire = await TandemWireClient.connect(context.url, context.token !== undefined ? { token: context.token } : { devUser: LOAD_USER });
    const joined = await wire.join(context.docId);
    const doc = new Doc({ agent: context.clientName });
    if (joined.events !== undefined && joined.events.length > 0) doc.receive(joined.events);
    return new TandemLoadClient(wire, doc, context);
  },
};
