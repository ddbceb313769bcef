/**
 * MemoryStorage keeps the offline store in this process's memory: nothing survives a restart, but
 * two clients sharing one instance see each other's saves exactly as they would a real store's,
 * which is what tests of "close one client, open another" need.
 */
import type { Event } from '@tandem/core';
import type { ClientStorage, ServerState } from './client-storage.js';

export class MemoryStorage implements ClientStorage {
  private readonly pending = new Map<string, readonly Event[]>();
  private readonly states = new Map<string, ServerState>();

  async loadPending(docId: string): Promise<Event[]> {
    // Copies in and out: a caller mutating its array must not change what is "stored".
    return [...(this.pending.get(docId) ?? [])];
  }

  async savePending(docId: string, events: readonly Event[]): Promise<void> {
    if (events.length === 0) this.pending.delete(docId);
    else this.pending.set(docId, [...events]);
  }

  async loadServerState(docId: string): Promise<ServerState | undefined> {
    const s = this.states.get(docId);
    return s === undefined ? undefined : { serverVersion: s.serverVersion, snapshot: s.snapshot.slice() };
  }

  async saveServerState(docId: string, state: ServerState): Promise<void> {
    this.states.set(docId, { serverVersion: state.serverVersion, snapshot: state.snapshot.slice() });
  }
}
