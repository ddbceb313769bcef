/**
 * The app's one TandemClient per signed-in user: WebSocket to this origin's `/ws`; IndexedDB as
 * the offline store and a BroadcastChannel between the user's tabs, both named per user so two
 * people sharing a browser never see or send each other's unsent edits; reconnect delays capped
 * at 10 s, about as long as people wait before reloading; direct links to the others on a document
 * (WebRTC) when the P2P settings allow them.
 *
 * Documents are opened and closed through here so a document closed by one screen has finished
 * closing (its unsent edits saved) before another screen opens it again.
 */
import { BroadcastTabChannel, IndexedDbStorage, TandemClient, type P2POptions, type PresenceState, type TandemDocument } from '@tandem/client';
import type { Session } from './session.js';

let current: { readonly key: string; readonly client: TandemClient; readonly tabs: BroadcastTabChannel; readonly unlisten: () => void } | undefined;
const closing = new Map<string, Promise<void>>();

export function serverSocketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

/** The client for `session`; `p2p` (read once per page load) is used when a new client is made. */
export function clientFor(session: Session, p2p: P2POptions | undefined): TandemClient {
  const key = session.kind === 'jwt' ? `jwt:${session.token}` : `dev:${session.userId}:${session.name}`;
  if (current?.key === key) return current.client;
  if (current !== undefined) {
    const old = current;
    old.unlisten();
    void old.client.close().finally(() => old.tabs.close());
  }
  const tabs = new BroadcastTabChannel({ name: `tandem:${session.userId}` });
  const client = new TandemClient({
    url: serverSocketUrl(),
    ...(session.kind === 'jwt' ? { token: session.token } : { devUser: { id: session.userId, name: session.name } }),
    storage: new IndexedDbStorage({ name: `tandem:${session.userId}` }),
    // Per user too: tabs share unsent edits, which must never cross from one account to another.
    tabs,
    backoff: { baseMs: 500, capMs: 10_000 },
    // The last server state is what lets a document open offline: save it soon after changes.
    stateSaveDelayMs: 500,
    // Off when undefined: the server path alone, as before.
    ...(p2p !== undefined ? { p2p } : {}),
  });
  current = { key, client, tabs, unlisten: followBrowserOnline(client) };
  return client;
}

export async function signOutClient(): Promise<void> {
  const c = current;
  current = undefined;
  c?.unlisten();
  await c?.client.close();
  c?.tabs.close();
}

/**
 * The app follows the browser's own online state: offline means offline at once, and back online
 * reconnects at once. The SDK treats the `offline` event only as a hint and probes the socket,
 * which is right when the OS is unsure — but a browser that declared itself offline (the user
 * switched the network off, or DevTools' offline mode, which leaves open sockets running) should
 * not keep showing "Connected": the user is told the truth, and edits are kept on this device.
 */
function followBrowserOnline(client: TandemClient): () => void {
  const offline = (): void => client.disconnect();
  const online = (): void => client.connect();
  window.addEventListener('offline', offline);
  window.addEventListener('online', online);
  return () => {
    window.removeEventListener('offline', offline);
    window.removeEventListener('online', online);
  };
}

interface Held {
  readonly client: TandemClient;
  readonly doc: Promise<TandemDocument>;
  refs: number;
  closeTimer: ReturnType<typeof setTimeout> | undefined;
}
const held = new Map<string, Held>();
/** A document released and re-acquired within this is kept open (React remounts, quick navigation). */
const LINGER_MS = 200;

/** Opens a document for a screen, sharing it with any other screen holding it; release it when done. */
export function acquireDocument(client: TandemClient, docId: string, options: { link?: string; presence?: PresenceState }): Promise<TandemDocument> {
  let h = held.get(docId);
  if (h !== undefined && h.client !== client) h = undefined;
  if (h === undefined) {
    const opening = (async () => {
      await closing.get(docId);
      return client.open(docId, { ...(options.link !== undefined ? { link: options.link } : {}), ...(options.presence !== undefined ? { presence: options.presence } : {}) });
    })();
    h = { client, doc: opening, refs: 0, closeTimer: undefined };
    held.set(docId, h);
  }
  if (h.closeTimer !== undefined) clearTimeout(h.closeTimer);
  h.closeTimer = undefined;
  h.refs++;
  return h.doc;
}

export function releaseDocument(docId: string): void {
  const h = held.get(docId);
  if (h === undefined) return;
  h.refs--;
  if (h.refs > 0) return;
  h.closeTimer = setTimeout(() => {
    if (held.get(docId) !== h || h.refs > 0) return;
    held.delete(docId);
    // Closing saves what is unsent; a later open of the same document waits for it.
    const done: Promise<void> = h.doc
      .then((d) => d.close())
      .catch(() => undefined)
      .finally(() => {
        if (closing.get(docId) === done) closing.delete(docId);
      });
    closing.set(docId, done);
  }, LINGER_MS);
}
