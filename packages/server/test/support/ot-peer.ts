/**
 * A plain-OT client as docs/protocol.md describes one, for tests: the text, the server version it
 * is at, one operation in flight and a buffer of local edits. A remote operation is transformed
 * against the in-flight operation and the buffer, remote inserts first at equal positions (the
 * server orders concurrent inserts of other clients before a plain-OT client's, whose agent sorts
 * last); an ack moves it to the ack's version and sends the buffer. It can stream seeded random
 * edits (one more made after each message, until a budget is spent), optionally deletions only:
 * a plain text operation puts an insert before a delete it touches, so an OT client's tie-break
 * can disagree with the server's merge when its insert meets a concurrent insert-and-delete at one
 * spot (a limit of plain OT mode on any server); deletions have no such tie.
 */
import { apply, compose, transform } from '@tandem/core';
import type { TextOp } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import type { SeededRandom } from './storage-random.js';
import { TestClient } from './test-client.js';

export class OtPeer {
  text = '';
  version = 0;
  readonly errors: ServerMessage[] = [];
  /** Remote operations received (each labelled with its version). */
  readonly remote: { version: number; operations: TextOp }[] = [];
  made = 0;
  /** Operations acknowledged (each stored as one event). */
  acks = 0;
  client: TestClient | undefined;
  private inflight: { id: string; op: TextOp } | undefined;
  private buffer: TextOp | undefined;
  private seq = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly userId: string,
    readonly docId: string,
    private readonly rng?: SeededRandom,
    private readonly budget = 0,
    private readonly onChange?: () => void,
    private readonly deletesOnly = false,
  ) {}

  get settled(): boolean {
    return this.inflight === undefined && this.buffer === undefined && this.made >= this.budget;
  }

  async connect(url: string): Promise<void> {
    const client = await TestClient.hello(url, this.userId);
    this.client = client;
    client.send({ type: 'join_session', docId: this.docId, mode: 'ot' });
    const joined = await client.next<Extract<ServerMessage, { type: 'session_joined' }>>((m) => (m.type === 'session_joined' || m.type === 'error') && m.docId === this.docId, 20_000);
    if (joined.type !== 'session_joined') throw new Error(`join failed: ${JSON.stringify(joined)}`);
    this.text = joined.content?.['body'] ?? '';
    this.version = joined.version;
    client.ws.on('message', () => this.drain());
    this.drain();
  }

  /** A local edit: applied now, sent when nothing is in flight, else buffered. */
  edit(op: TextOp): void {
    this.text = apply(this.text, op);
    this.made++;
    if (this.inflight === undefined) this.send(op);
    else this.buffer = this.buffer === undefined ? op : compose(this.buffer, op);
  }

  private send(op: TextOp): void {
    const id = `${this.userId}-${++this.seq}`;
    this.inflight = { id, op };
    this.client?.send({ type: 'operation', docId: this.docId, operationId: id, version: this.version, operations: op });
  }

  private drain(): void {
    for (const m of this.client?.received.splice(0) ?? []) this.onMessage(m);
    const wanted = this.rng !== undefined && this.made < this.budget && (this.inflight === undefined || this.rng.bool(0.3));
    if (wanted && (!this.deletesOnly || this.text.length > 0)) this.edit(this.randomOp(this.rng!));
    this.onChange?.();
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once `condition` holds (re-checked after every message), or rejects after `ms`. */
  waitUntil(condition: () => boolean, ms: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`deadline of ${ms} ms passed waiting for ${what} (OT client ${this.userId}: version ${this.version}, text ${JSON.stringify(this.text)})`));
      }, ms);
      this.waiters.add(check);
    });
  }

  private onMessage(m: ServerMessage): void {
    if (m.type === 'error') {
      this.errors.push(m);
    } else if (m.type === 'operation_ack' && m.operationId === this.inflight?.id) {
      this.version = m.version;
      this.inflight = undefined;
      this.acks++;
      if (this.buffer !== undefined) {
        const next = this.buffer;
        this.buffer = undefined;
        this.send(next);
      }
    } else if (m.type === 'remote_operation' && 'operations' in m && (m.text ?? 'body') === 'body') {
      this.remote.push({ version: m.version, operations: m.operations });
      let r = m.operations;
      if (this.inflight !== undefined) {
        const r1 = transform(r, this.inflight.op, 'left');
        this.inflight = { id: this.inflight.id, op: transform(this.inflight.op, r, 'right') };
        r = r1;
      }
      if (this.buffer !== undefined) {
        const r2 = transform(r, this.buffer, 'left');
        this.buffer = transform(this.buffer, r, 'right');
        r = r2;
      }
      this.text = apply(this.text, r);
      this.version = m.version;
    }
  }

  private randomOp(rng: SeededRandom): TextOp {
    const len = this.text.length;
    if (len > 0 && (this.deletesOnly || rng.bool(0.3))) {
      const pos = rng.range(0, len - 1);
      return [{ type: 'retain', length: pos }, { type: 'delete', length: Math.min(len - pos, rng.range(1, 3)) }].filter((c) => c.type !== 'retain' || c.length > 0) as TextOp;
    }
    const pos = rng.range(0, len);
    const content = 'otxyz'.slice(0, rng.range(1, 5));
    return (pos > 0 ? [{ type: 'retain', length: pos }, { type: 'insert', content }] : [{ type: 'insert', content }]) as TextOp;
  }

  close(): void {
    this.client?.close();
  }
}
