/**
 * IndexedDbStorage keeps the offline store in the browser's IndexedDB: one database with two
 * object stores keyed by document id, `pending` (the unacknowledged events) and `state` (the last
 * known server state). Every tab of a profile shares it, so a new tab starts from what the others
 * saved. Each save is one readwrite transaction, which IndexedDB commits atomically.
 */
import type { Event } from '@tandem/core';
import type { ClientStorage, ServerState } from './client-storage.js';

const PENDING = 'pending';
const STATE = 'state';

interface PendingRecord {
  readonly docId: string;
  readonly events: readonly Event[];
}

interface StateRecord {
  readonly docId: string;
  readonly serverVersion: number;
  readonly snapshot: Uint8Array;
}

export interface IndexedDbStorageOptions {
  /** Database name (default "tandem"). */
  readonly name?: string;
  /** The IndexedDB factory (default `globalThis.indexedDB`). */
  readonly indexedDB?: IDBFactory;
}

export class IndexedDbStorage implements ClientStorage {
  private readonly db: Promise<IDBDatabase>;

  constructor(options: IndexedDbStorageOptions = {}) {
    const factory = options.indexedDB ?? globalThis.indexedDB;
    if (factory === undefined) throw new Error('IndexedDB is not available here; use MemoryStorage or FileStorage');
    this.db = new Promise((resolve, reject) => {
      const request = factory.open(options.name ?? 'tandem', 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(PENDING)) db.createObjectStore(PENDING, { keyPath: 'docId' });
        if (!db.objectStoreNames.contains(STATE)) db.createObjectStore(STATE, { keyPath: 'docId' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('could not open IndexedDB'));
      request.onblocked = () => reject(new Error('IndexedDB upgrade blocked by another tab'));
    });
  }

  async loadPending(docId: string): Promise<Event[]> {
    const record = await this.get<PendingRecord>(PENDING, docId);
    return record === undefined ? [] : [...record.events];
  }

  async savePending(docId: string, events: readonly Event[]): Promise<void> {
    if (events.length === 0) await this.run(PENDING, (store) => store.delete(docId));
    else await this.run(PENDING, (store) => store.put({ docId, events: [...events] } satisfies PendingRecord));
  }

  async loadServerState(docId: string): Promise<ServerState | undefined> {
    const record = await this.get<StateRecord>(STATE, docId);
    return record === undefined ? undefined : { serverVersion: record.serverVersion, snapshot: record.snapshot };
  }

  async saveServerState(docId: string, state: ServerState): Promise<void> {
    await this.run(STATE, (store) => store.put({ docId, serverVersion: state.serverVersion, snapshot: state.snapshot } satisfies StateRecord));
  }

  async close(): Promise<void> {
    (await this.db).close();
  }

  private async get<T>(storeName: string, key: string): Promise<T | undefined> {
    const db = await this.db;
    return new Promise((resolve, reject) => {
      const request = db.transaction(storeName, 'readonly').objectStore(storeName).get(key);
      request.onsuccess = () => resolve(request.result as T | undefined);
      request.onerror = () => reject(request.error ?? new Error(`could not read ${storeName}`));
    });
  }

  /** One write in its own transaction; resolves when the transaction has committed. */
  private async run(storeName: string, write: (store: IDBObjectStore) => IDBRequest): Promise<void> {
    const db = await this.db;
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(storeName, 'readwrite', { durability: 'strict' });
      write(tx.objectStore(storeName));
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error(`could not write ${storeName}`));
      tx.onabort = () => reject(tx.error ?? new Error(`write to ${storeName} aborted`));
    });
  }
}
