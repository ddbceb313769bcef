/**
 * The Yjs load client: a `Y.Doc` with one `Y.Text`, speaking the y-websocket wire protocol directly
 * (binary frames; message type 0 = sync with y-protocols' sync step 1 / step 2 / update). As the
 * y-websocket provider does, every local transaction is sent at once as an update; received updates
 * are applied with a remote origin. Delivery is tracked by Yjs clocks: after a remote transaction the
 * receiver holds every edit of each changed client up to that client's clock.
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { ClientContext, LoadClient, LoadDriver } from '../../load/load-driver.js';
import type { TypingModel } from '../../load/typing-model.js';

const MESSAGE_SYNC = 0;
const TEXT = 'body';
/** Origin of transactions that apply what the server sent. */
const REMOTE = Symbol('remote');

function frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

function bytesOf(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** One y-websocket connection holding a Y.Doc: synced once the server's sync step 2 arrived. */
export class YjsWireClient {
  readonly doc = new Y.Doc();
  readonly text = this.doc.getText(TEXT);
  readonly synced: Promise<void>;
  private onSynced: (() => void) | undefined;

  constructor(
    readonly ws: WebSocket,
    onError: (message: string) => void,
  ) {
    this.synced = new Promise<void>((resolve, reject) => {
      this.onSynced = resolve;
      ws.once('error', reject);
      ws.once('close', () => reject(new Error('connection closed before the document was synced')));
    });
    // Errors after the sync surface as a close (counted by the load client); never as a crash.
    ws.on('error', () => undefined);
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE && ws.readyState === WebSocket.OPEN) ws.send(frame((e) => syncProtocol.writeUpdate(e, update)));
    });
    ws.on('open', () => ws.send(frame((e) => syncProtocol.writeSyncStep1(e, this.doc))));
    ws.on('message', (data) => {
      try {
        const decoder = decoding.createDecoder(bytesOf(data));
        if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return; // awareness: not used here
        const reply = encoding.createEncoder();
        encoding.writeVarUint(reply, MESSAGE_SYNC);
        const kind = syncProtocol.readSyncMessage(decoder, reply, this.doc, REMOTE);
        if (encoding.length(reply) > 1) ws.send(encoding.toUint8Array(reply));
        if (kind === syncProtocol.messageYjsSyncStep2 && this.onSynced !== undefined) {
          this.onSynced();
          this.onSynced = undefined;
        }
      } catch (err) {
        onError(err instanceof Error ? err.message : String(err));
      }
    });
  }

  static open(baseUrl: string, docId: string, onError: (message: string) => void): YjsWireClient {
    const ws = new WebSocket(`${baseUrl}/${encodeURIComponent(docId)}`, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
    return new YjsWireClient(ws, onError);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}

class YjsLoadClient implements LoadClient {
  constructor(
    private readonly wire: YjsWireClient,
    private readonly context: ClientContext,
  ) {
    const progress = context.tracker.receiver(context.clientName);
    const self = wire.doc.clientID;
    wire.doc.on('afterTransaction', (tr: Y.Transaction) => {
      if (tr.origin !== REMOTE) return;
      for (const [client, clock] of tr.afterState) {
        if (client !== self && clock > (tr.beforeState.get(client) ?? 0)) context.tracker.reached(progress, String(client), clock);
      }
    });
    wire.ws.on('close', () => {
      if (context.running()) context.issues.disconnects++;
    });
  }

  edit(model: TypingModel): boolean {
    if (this.wire.ws.readyState !== WebSocket.OPEN) return false;
    const { pos, del, ins } = model.next(this.wire.text.length);
    const doc = this.wire.doc;
    // The mark is the clock after the edit, so the side log must hold the edit before the update is sent.
    const mark = Y.getState(doc.store, doc.clientID) + ins.length;
    this.context.tracker.sent(String(doc.clientID), mark);
    doc.transact(() => {
      if (del > 0) this.wire.text.delete(pos, del);
      if (ins.length > 0) this.wire.text.insert(pos, ins);
    });
    return true;
  }

  textLength(): number {
    return this.wire.text.length;
  }

  close(): void {
    this.wire.close();
  }
}

export const yjsDriver: LoadDriver = {
  system: 'yjs',
  async connect(context: ClientContext): Promise<LoadClient> {
    const wire = YjsWireClient.open(context.url, context.docId, (message) => context.issues.error('YJS_SYNC', message));
    await wire.synced;
    return new YjsLoadClient(wire, context);
  },
};
