/**
 * TandemDocument is an open document as an app uses it: its texts and maps, undo and redo, its
 * presence, and its sync status (unacknowledged edits, last sync, merge reports). It wires the
 * parts of one document together — the replica and its sync protocol, the offline store, presence,
 * and the tab channel — and routes every change to the handles that asked for it.
 */
import type { AppliedChange, ChangeOrigin, Doc, Event } from '@tandem/core';
import type { ClientMessage, Level, PresenceState, ServerMessage } from '@tandem/protocol';
import { Presence, type PresenceSettings } from '../presence/presence.js';
import type { DocumentSync, MergeReport } from '../sync/document-sync.js';
import type { DocumentPersistence } from '../sync/persistence.js';
import type { TabChannel, TabMessage, TabPresence } from '../tabs/tab-channel.js';
import { Emitter } from '../util/emitter.js';
import { MapHandle } from './map-handle.js';
import { TextHandle } from './text-handle.js';

export type DocumentEvents = {
  /** Every change to any text or map, with its origin. */
  change: [change: AppliedChange, origin: ChangeOrigin];
  /** After each (re)join: how much was merged (tell the user after a long offline spell). */
  merge: [report: MergeReport];
  /** Everything is acknowledged and the replica matches the server's. */
  synced: [at: number];
  /** The number of unacknowledged events changed. */
  pending: [count: number];
  /** Something failed that the SDK could not repair by itself (refused edits, storage errors…). */
  error: [error: Error];
};

/** @internal What a document needs from its client. */
export interface DocumentWiring {
  readonly sync: DocumentSync;
  readonly persistence: DocumentPersistence;
  readonly presence: PresenceSettings;
  readonly initialPresence: PresenceState | undefined;
  readonly tabs: TabChannel | undefined;
  readonly tabId: string;
  /** My presence as shared with tabs, for peer-to-peer links too (absent when P2P is off). */
  readonly sharePresence?: (presence: TabPresence | null) => void;
  send(message: ClientMessage): boolean;
  me(): { readonly id: string; readonly name: string; readonly color: string } | undefined;
  now(): number;
  /** Called once the document has closed. */
  closed(): void;
}

export class TandemDocument extends Emitter<DocumentEvents> {
  /** This document's presence: my state, the others, their cursors. */
  readonly presence: Presence;
  private readonly sync: DocumentSync;
  private readonly texts = new Map<string, TextHandle>();
  private readonly maps = new Map<string, MapHandle>();
  private readonly cleanup: (() => void)[] = [];
  private closing: Promise<void> | undefined;

  /** @internal Created by `TandemClient.open`. */
  constructor(
    readonly id: string,
    private readonly wiring: DocumentWiring,
  ) {
    super();
    const sync = wiring.sync;
    this.sync = sync;
    this.presence = new Presence(
      {
        docId: id,
        tabId: wiring.tabId,
        send: (m) => sync.joined && wiring.send(m),
        joined: () => sync.joined,
        serverVersion: () => sync.serverVersion,
        allConfirmed: () => sync.allConfirmed,
        toServer: (text, pos) => sync.toServer(text, pos),
        toLocal: (text, pos) => sync.toLocal(text, pos),
        me: () => wiring.me(),
        postTab: (m) => this.postTab(m),
        now: () => wiring.now(),
      },
      wiring.presence,
      wiring.initialPresence,
    );
    this.cleanup.push(
      sync.doc.subscribe((changes, origin) => this.dispatch(changes, origin)),
      sync.on('joined', ({ activeUsers, merge }) => {
        this.presence.joined(activeUsers);
        this.emit('merge', merge);
      }),
      sync.on('pending', (count) => {
        wiring.persistence.pendingChanged();
        this.emit('pending', count);
      }),
      sync.on('advanced', (version) => {
        wiring.persistence.stateChanged();
        this.presence.serverAdvanced(version);
      }),
      sync.on('synced', (at) => this.emit('synced', at)),
      sync.on('error', (err) => this.emit('error', err)),
      sync.on('local', (events) => this.postEvents(events)),
    );
    if (wiring.tabs !== undefined) {
      this.cleanup.push(wiring.tabs.subscribe((m) => this.fromTab(m)));
      // A tab that opens a document asks the others for edits the server has not confirmed yet.
      this.postTab({ kind: 'hello', docId: id, from: wiring.tabId });
    }
  }

  /** The named text ("body" by default). Handles are cached: the same name gives the same handle. */
  text(name = 'body'): TextHandle {
    let handle = this.texts.get(name);
    if (handle === undefined) {
      handle = new TextHandle(this.sync.doc, name);
      this.texts.set(name, handle);
    }
    return handle;
  }

  /** The named shared map. */
  map(name: string): MapHandle {
    let handle = this.maps.get(name);
    if (handle === undefined) {
      handle = new MapHandle(this.sync.doc, name);
      this.maps.set(name, handle);
    }
    return handle;
  }

  /** Reverts my last change (never anyone else's); false when there is nothing to undo. */
  undo(): boolean {
    return this.sync.doc.undo() !== undefined;
  }

  /** Reapplies what the last undo reverted; false when there is nothing to redo. */
  redo(): boolean {
    return this.sync.doc.redo() !== undefined;
  }

  get canUndo(): boolean {
    return this.sync.doc.canUndo;
  }

  get canRedo(): boolean {
    return this.sync.doc.canRedo;
  }

  /** Events made here (or in another tab) that the server has not acknowledged yet. */
  get pendingCount(): number {
    return this.sync.pendingCount;
  }

  /** When (ms since the epoch) this replica was last known to match the server; undefined if never. */
  get lastSyncedAt(): number | undefined {
    return this.sync.lastSyncedAt;
  }

  /** The last server version this replica has everything up to. */
  get serverVersion(): number {
    return this.sync.serverVersion;
  }

  /** True while joined with nothing unacknowledged. */
  get synced(): boolean {
    return this.sync.joined && this.sync.allConfirmed && this.sync.doc.pendingCount === 0;
  }

  /** My access level, once joined. */
  get level(): Level | undefined {
    return this.sync.accessLevel;
  }

  /** The underlying core replica, for reading (history, versions, encoding). Edit through the handles. */
  get replica(): Doc {
    return this.sync.doc;
  }

  /** Resolves when joined with nothing unacknowledged; rejects after `timeoutMs` (default: never). */
  whenSynced(timeoutMs?: number): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        off();
        reject(new Error(`${this.id} not synced within ${timeoutMs} ms (${this.pendingCount} events unacknowledged)`));
      }, timeoutMs);
      const off = this.on('synced', () => {
        if (!this.synced) return;
        off();
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Leaves the session, saves what is unacknowledged, and stops. Edits after this throw nothing but do not sync. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const off of this.cleanup) off();
      this.presence.close();
      this.sync.close();
      await this.wiring.persistence.close();
      this.wiring.closed();
      this.removeAll();
    })();
    return this.closing;
  }

  // ----- wiring (called by TandemClient) -----

  /** @internal A server message about this document. */
  handleServer(message: ServerMessage): void {
    if (this.closing !== undefined) return;
    switch (message.type) {
      case 'user_joined':
      case 'user_left':
      case 'presence':
      case 'remote_cursor':
        this.presence.handleServer(message);
        return;
      default:
        this.sync.handle(message);
    }
  }

  /** @internal */
  connectionReady(): void {
    if (this.closing === undefined) this.sync.connectionReady();
  }

  /** @internal */
  connectionDown(): void {
    if (this.closing !== undefined) return;
    this.sync.connectionDown();
    this.presence.connectionDown();
  }

  /** @internal The server dropped a message of this connection (rate limit). */
  messageDropped(): void {
    if (this.closing === undefined) this.sync.messageDropped();
  }

  private dispatch(changes: readonly AppliedChange[], origin: ChangeOrigin): void {
    const author = origin === 'remote' ? this.sync.currentAuthor : undefined;
    for (const change of changes) {
      if (change.type === 'text') {
        this.presence.textChanged(change.name, change.op, origin !== 'remote', author);
        this.texts.get(change.name)?.events.emit('change', change.op, origin);
      } else {
        this.maps.get(change.name)?.events.emit('change', change.key, change.value, origin);
      }
      this.emit('change', change, origin);
    }
  }

  private postEvents(events: readonly Event[]): void {
    const me = this.wiring.me();
    this.postTab({ kind: 'events', docId: this.id, from: this.wiring.tabId, events, ...(me !== undefined ? { userId: me.id } : {}) });
  }

  private postTab(message: TabMessage): void {
    // My presence also goes to peers over direct links (peer-to-peer), when there are any.
    if (message.kind === 'presence' && message.from === this.wiring.tabId) this.wiring.sharePresence?.(message.presence);
    try {
      this.wiring.tabs?.post(message);
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }

  private fromTab(message: TabMessage): void {
    if (message.docId !== this.id || message.from === this.wiring.tabId) return;
    switch (message.kind) {
      case 'events': {
        // Another user in this profile (signed in elsewhere in another tab): their events are not ours to send.
        const me = this.wiring.me();
        if (message.userId !== undefined && me !== undefined && message.userId !== me.id) return;
        this.sync.receiveFromTab(message.events);
        return;
      }
      case 'hello': {
        const pending = this.sync.pendingEvents();
        if (pending.length > 0) this.postEvents(pending);
        this.presence.tabMessage(message);
        return;
      }
      case 'presence':
        this.presence.tabMessage(message);
    }
  }
}
