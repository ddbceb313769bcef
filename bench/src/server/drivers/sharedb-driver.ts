/**
 * The ShareDB load client: ShareDB's own client (`sharedb/lib/client`) over a WebSocket, one
 * subscribed document of the `text-unicode` OT type (ot-text-unicode). ShareDB keeps one op in
 * flight per document and composes the edits made meanwhile into the next. Delivery is tracked by
 * the op's (source connection id, seq): edits are numbered with the seq of the op that carries them
 * when ShareDB sends it, and a receiver that applies a remote op has every edit of that sender up to
 * that seq.
 */
import WebSocket from 'ws';
import { Connection, types } from 'sharedb/lib/client/index.js';
import * as otText from 'ot-text-unicode';
import type { TextOp } from 'ot-text-unicode';
import type { ClientContext, LoadClient, LoadDriver } from '../../load/load-driver.js';
import type { TypingModel } from '../../load/typing-model.js';

export const SHAREDB_COLLECTION = 'docs';

types.register(otText.type);

type ShareDoc = ReturnType<Connection['get']>;

interface OpMessage {
  readonly a?: unknown;
  readonly d?: unknown;
  readonly src?: unknown;
  readonly seq?: unknown;
}

function asOpMessage(value: unknown): OpMessage {
  return typeof value === 'object' && value !== null ? (value as OpMessage) : {};
}

/** Opens a ShareDB connection and subscribes to a document, creating it (empty) if `create`. */
export async function openShareDoc(url: string, docId: string, create: boolean): Promise<{ socket: WebSocket; connection: Connection; doc: ShareDoc }> {
  const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
  // ShareDB's client drives a browser-style socket (onopen, onmessage, ...), which ws provides.
  const connection = new Connection(socket as unknown as ConstructorParameters<typeof Connection>[0]);
  const doc = connection.get(SHAREDB_COLLECTION, docId);
  await new Promise<void>((resolve, reject) => doc.subscribe((err) => (err ? reject(err) : resolve())));
  if (doc.type === null) {
    if (!create) throw new Error(`ShareDB document ${docId} does not exist`);
    await new Promise<void>((resolve, reject) => doc.create('', otText.type.uri, (err) => (err ? reject(err) : resolve())));
  }
  return { socket, connection, doc };
}

function textOp(pos: number, del: number, ins: string): TextOp {
  const op: TextOp = [];
  if (pos > 0) op.push(pos);
  if (del > 0) op.push({ d: del });
  if (ins.length > 0) op.push(ins);
  return op;
}

class ShareDbLoadClient implements LoadClient {
  private readonly senderId: string;

  constructor(
    private readonly socket: WebSocket,
    connection: Connection,
    private readonly doc: ShareDoc,
    private readonly context: ClientContext,
  ) {
    if (connection.id === null) throw new Error('ShareDB connection has no id after subscribing');
    this.senderId = connection.id;
    const progress = context.tracker.receiver(context.clientName);
    let lastReceived: OpMessage = {};
    connection.on('receive', (request) => {
      lastReceived = asOpMessage(request.data);
    });
    connection.on('send', (message: unknown) => {
      const m = asOpMessage(message);
      if (m.a === 'op' && m.d === context.docId && typeof m.seq === 'number') context.tracker.assignPending(this.senderId, m.seq);
    });
    doc.on('op', (_op, source) => {
      // A remote op is applied while its message is handled: the message just received carries its origin.
      if (source !== false) return;
      const { src, seq } = lastReceived;
      if (typeof src === 'string' && typeof seq === 'number') context.tracker.reached(progress, src, seq);
    });
    doc.on('error', (err) => context.issues.error('SHAREDB', err.message));
    socket.on('close', () => {
      if (context.running()) context.issues.disconnects++;
    });
  }

  edit(model: TypingModel): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    const text = typeof this.doc.data === 'string' ? this.doc.data : '';
    const { pos, del, ins } = model.next(text.length);
    // Logged before submitting: ShareDB may send the op (and number it) inside submitOp.
    this.context.tracker.sent(this.senderId);
    this.doc.submitOp(textOp(pos, del, ins), {}, (err) => {
      if (err) this.context.issues.error('SHAREDB', err.message);
    });
    return true;
  }

  textLength(): number {
    return typeof this.doc.data === 'string' ? this.doc.data.length : 0;
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close();
  }
}

export const sharedbDriver: LoadDriver = {
  system: 'sharedb',
  async connect(context: ClientContext): Promise<LoadClient> {
    // The first client of a document creates it; the engine connects a document's clients in order.
    const { socket, connection, doc } = await openShareDoc(context.url, context.docId, true);
    return new ShareDbLoadClient(socket, connection, doc, context);
  },
};
