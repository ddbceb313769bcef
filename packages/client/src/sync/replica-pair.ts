/**
 * ReplicaPair owns the two core replicas of one open document. `local` is what the app sees:
 * everything this replica knows, confirmed or not. `confirmed` holds exactly the events the server
 * has confirmed: it is the consistent resume point saved to the offline store, and the reference
 * cursor offsets are mapped against (they travel as server offsets).
 *
 * Server events reach `local` at once. `confirmed` is only read now and then (an acknowledgement,
 * a save, a cursor while edits are unconfirmed), so events for it are queued and merged in one
 * batch when it is read: one Eg-walker merge of fifty events costs far less than fifty merges.
 */
import { Doc, type Event, type EventId } from '@tandem/core';
import { mapPosition } from './position-map.js';

/** Agent id of the confirmed replica (it never edits, so any fixed id does). */
const CONFIRMED_AGENT = 'confirmed';

export class ReplicaPair {
  private confirmed: Doc;
  /** Confirmed events not merged into `confirmed` yet, in arrival order. */
  private queued: Event[] = [];
  /** `confirmed` as encoded bytes, while it is exactly the server snapshot it was loaded from. */
  private confirmedBytes: Uint8Array | undefined;

  constructor(
    readonly local: Doc,
    confirmed: Doc,
  ) {
    this.confirmed = confirmed;
  }

  /** A confirmed replica from saved bytes (`snapshot()`), or an empty one. */
  static confirmedFrom(snapshot: Uint8Array | undefined): Doc {
    return snapshot === undefined ? new Doc({ agent: CONFIRMED_AGENT }) : Doc.decode(snapshot, { agent: CONFIRMED_AGENT });
  }

  /**
   * Takes in events the server holds (already validated at the protocol edge) and returns those
   * newly applied locally — which may include events of other tabs that were waiting for these as
   * parents. `replaceConfirmed`: they are everything the server has, so the confirmed replica is
   * rebuilt from them alone.
   * @throws TandemError when the server's events conflict with what this replica holds.
   */
  takeServerEvents(events: readonly Event[], replaceConfirmed: boolean): readonly Event[] {
    if (replaceConfirmed) {
      this.confirmed = new Doc({ agent: CONFIRMED_AGENT });
      this.queued = [];
      this.confirmedBytes = undefined;
    }
    const applied = this.local.receive(events, { buffer: true, validate: false }).applied;
    for (const e of events) this.queued.push(e);
    return applied;
  }

  /**
   * Takes in the server's replica as `Doc.encode` bytes (a first join that asked for a snapshot):
   * both replicas are loaded from them without replaying history, and the local one tells its
   * listeners of its new texts; returns `{ loaded }`, how many events that was. When the local
   * replica is not empty any more (an edit, or another tab's or a peer's events, came while the
   * join was on its way) nothing is changed and the snapshot's events are returned, for the caller
   * to take in as events.
   * @throws TandemError ERR_DECODE for bytes that are not an encoded document.
   */
  takeServerSnapshot(bytes: Uint8Array): { readonly loaded: number } | { readonly events: readonly Event[] } {
    const confirmed = Doc.decode(bytes, { agent: CONFIRMED_AGENT });
    if (this.local.eventCount > 0 || this.local.pendingCount > 0) return { events: confirmed.events() };
    const { events } = this.local.loadEncoded(bytes);
    this.confirmed = confirmed;
    this.queued = [];
    this.confirmedBytes = bytes;
    return { loaded: events };
  }

  /** The server acknowledged these events of ours: they are confirmed now. */
  acknowledged(events: readonly Event[]): void {
    for (const e of events) this.queued.push(e);
  }

  isConfirmed(id: EventId): boolean {
    return this.settled().has(id);
  }

  /** False when server events wait for parents the server never sent (a gap in its stream). */
  get confirmedComplete(): boolean {
    return this.settled().pendingCount === 0;
  }

  /** Every local event the server has not confirmed, in a topological order. */
  unconfirmed(): Event[] {
    return this.local.eventsSince(this.settled().vector);
  }

  /** The confirmed state as `Doc.encode` bytes. */
  snapshot(): Uint8Array {
    const doc = this.settled();
    return this.confirmedBytes ?? doc.encode();
  }

  /** A local offset in text `name` as a server offset; `allConfirmed` skips the comparison. */
  toServer(name: string, pos: number, allConfirmed: boolean): number {
    return allConfirmed ? pos : mapPosition(this.local.getText(name), this.settled().getText(name), pos);
  }

  /** A server offset in text `name` as a local offset. */
  toLocal(name: string, pos: number, allConfirmed: boolean): number {
    return allConfirmed ? pos : mapPosition(this.settled().getText(name), this.local.getText(name), pos);
  }

  /** The confirmed replica with every queued event merged. */
  private settled(): Doc {
    if (this.queued.length > 0) {
      const batch = this.queued;
      this.queued = [];
      this.confirmedBytes = undefined;
      // Buffered: an acknowledged event may precede (in arrival order) the server events it depends on.
      this.confirmed.receive(batch, { buffer: true, validate: false });
    }
    return this.confirmed;
  }
}
