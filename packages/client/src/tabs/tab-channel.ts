/**
 * TabChannel carries what tabs of one browser profile tell each other, at once and without the
 * server: new events (so every tab shows an edit immediately, even offline), presence (so tabs see
 * each other's cursors), and `hello` (a tab that opens a document asks the others for what they
 * have not got confirmed yet). `BroadcastTabChannel` is the BroadcastChannel implementation;
 * anything with `post` and `subscribe` may stand in (tests, other transports).
 *
 * Messages from other tabs are checked before use: a tab running an older version of the app may
 * post shapes this one does not expect.
 */
import { checkEvents, type Event, type JsonValue } from '@tandem/core';
import type { CursorRange, PresencePeer } from '@tandem/protocol';

/** What a tab shares about its user's presence on one document (cursor in that tab's local offsets). */
export type TabPresence = Omit<PresencePeer, 'lastSeen'>;

export type TabMessage =
  /** `userId`: the sender's user, when known; a tab signed in as someone else ignores the events. */
  | { readonly kind: 'events'; readonly docId: string; readonly from: string; readonly events: readonly Event[]; readonly userId?: string }
  /** `presence: null`: the tab closed the document. */
  | { readonly kind: 'presence'; readonly docId: string; readonly from: string; readonly presence: TabPresence | null }
  | { readonly kind: 'hello'; readonly docId: string; readonly from: string };

export interface TabChannel {
  post(message: TabMessage): void;
  /** Calls `listener` with every message from other tabs; returns the unsubscribe function. */
  subscribe(listener: (message: TabMessage) => void): () => void;
  close(): void;
}

/** The part of the BroadcastChannel API used here (browsers and Node 20 both have it). */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  close(): void;
}

export type BroadcastChannelConstructor = new (name: string) => BroadcastChannelLike;

export interface BroadcastTabChannelOptions {
  /** Channel name; tabs share events only when they use the same one (default "tandem"). */
  readonly name?: string;
  /** Default `globalThis.BroadcastChannel`. */
  readonly BroadcastChannel?: BroadcastChannelConstructor;
}

export class BroadcastTabChannel implements TabChannel {
  private readonly channel: BroadcastChannelLike;
  private readonly listeners = new Set<(message: TabMessage) => void>();

  constructor(options: BroadcastTabChannelOptions = {}) {
    const Ctor = options.BroadcastChannel ?? (globalThis as { BroadcastChannel?: BroadcastChannelConstructor }).BroadcastChannel;
    if (Ctor === undefined) throw new Error('BroadcastChannel is not available here; pass one in options.BroadcastChannel');
    this.channel = new Ctor(options.name ?? 'tandem');
    this.channel.addEventListener('message', (event) => {
      const message = parseTabMessage(event.data);
      if (message === undefined) return;
      for (const listener of [...this.listeners]) listener(message);
    });
  }

  post(message: TabMessage): void {
    this.channel.postMessage(message);
  }

  subscribe(listener: (message: TabMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.listeners.clear();
    this.channel.close();
  }
}

/** The message `value` holds, or undefined when it is not one this version understands. */
export function parseTabMessage(value: unknown): TabMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (typeof m['docId'] !== 'string' || typeof m['from'] !== 'string') return undefined;
  const base = { docId: m['docId'], from: m['from'] };
  switch (m['kind']) {
    case 'hello':
      return { kind: 'hello', ...base };
    case 'events':
      try {
        return { kind: 'events', ...base, events: checkEvents(m['events']), ...(typeof m['userId'] === 'string' ? { userId: m['userId'] } : {}) };
      } catch {
        return undefined;
      }
    case 'presence': {
      const p = m['presence'];
      if (p === null) return { kind: 'presence', ...base, presence: null };
      if (typeof p !== 'object' || p === undefined) return undefined;
      const r = p as Record<string, unknown>;
      if (typeof r['userId'] !== 'string' || typeof r['name'] !== 'string' || typeof r['color'] !== 'string') return undefined;
      if (r['status'] !== 'online' && r['status'] !== 'away' && r['status'] !== 'offline') return undefined;
      const cursor = parseCursor(r['cursor']);
      if (cursor === undefined) return undefined;
      const custom = typeof r['custom'] === 'object' && r['custom'] !== null && !Array.isArray(r['custom']) ? (r['custom'] as { [key: string]: JsonValue }) : {};
      const presence: TabPresence = {
        userId: r['userId'],
        name: r['name'],
        color: r['color'],
        status: r['status'],
        ...(typeof r['activity'] === 'string' ? { activity: r['activity'] } : {}),
        typing: r['typing'] === true,
        custom,
        cursor,
      };
      return { kind: 'presence', ...base, presence };
    }
    default:
      return undefined;
  }
}

function parseCursor(v: unknown): CursorRange | null | undefined {
  if (v === null) return null;
  if (typeof v !== 'object' || v === undefined) return undefined;
  const c = v as Record<string, unknown>;
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!ok(c['anchor']) || !ok(c['head'])) return undefined;
  if (c['text'] !== undefined && typeof c['text'] !== 'string') return undefined;
  return typeof c['text'] === 'string' ? { text: c['text'], anchor: c['anchor'], head: c['head'] } : { anchor: c['anchor'], head: c['head'] };
}
