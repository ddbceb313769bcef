/**
 * React hooks over an open document: opening it (and closing it when the screen goes away), and
 * subscribing to the SDK's events so the screen re-renders when the connection status, the count
 * of unsent edits, the last sync time, the access level or the people present change.
 */
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import type { ConnectionStatus, PeerPresence, TandemClient, TandemDocument } from '@tandem/client';
import type { Level } from './api.js';
import { acquireDocument, releaseDocument } from './tandem.js';

export type Opened = { readonly state: 'loading' } | { readonly state: 'error'; readonly message: string } | { readonly state: 'open'; readonly doc: TandemDocument };

export function useOpenDocument(client: TandemClient, docId: string, link: string | undefined, name: string): Opened {
  const [opened, setOpened] = useState<Opened>({ state: 'loading' });
  useEffect(() => {
    let cancelled = false;
    setOpened({ state: 'loading' });
    acquireDocument(client, docId, { ...(link !== undefined ? { link } : {}), presence: { name, status: 'online' } }).then(
      (d) => !cancelled && setOpened({ state: 'open', doc: d }),
      (err: unknown) => !cancelled && setOpened({ state: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      cancelled = true;
      releaseDocument(docId);
    };
  }, [client, docId, link, name]);
  return opened;
}

export function useConnectionStatus(client: TandemClient): ConnectionStatus {
  const subscribe = useCallback((notify: () => void) => client.on('status', notify), [client]);
  return useSyncExternalStore(subscribe, () => client.status);
}

export interface SyncState {
  readonly pending: number;
  readonly lastSyncedAt: number | undefined;
  readonly level: Level | undefined;
}

export function useSyncState(doc: TandemDocument): SyncState {
  const [state, setState] = useState<SyncState>(() => read(doc));
  useEffect(() => {
    const update = (): void => setState((prev) => {
      const next = read(doc);
      return prev.pending === next.pending && prev.lastSyncedAt === next.lastSyncedAt && prev.level === next.level ? prev : next;
    });
    update();
    const offs = [doc.on('pending', update), doc.on('synced', update), doc.on('merge', update), doc.on('error', update)];
    // Acks can leave the count unchanged while lastSyncedAt moves; a slow poll catches the rest.
    const timer = setInterval(update, 1_000);
    return () => {
      for (const off of offs) off();
      clearInterval(timer);
    };
  }, [doc]);
  return state;
}

function read(doc: TandemDocument): SyncState {
  return { pending: doc.pendingCount, lastSyncedAt: doc.lastSyncedAt, level: doc.level };
}

/** The others on the document, re-read whenever presence reports a change. */
export function usePeers(doc: TandemDocument): readonly PeerPresence[] {
  const [peers, setPeers] = useState<readonly PeerPresence[]>(() => doc.presence.others);
  useEffect(() => {
    const update = (): void => setPeers(doc.presence.others);
    update();
    const p = doc.presence;
    const offs = [p.on('join', update), p.on('leave', update), p.on('update', update), p.on('cursor', update)];
    return () => {
      for (const off of offs) off();
    };
  }, [doc]);
  return peers;
}
