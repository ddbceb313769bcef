/**
 * The peer-to-peer wire formats: what travels in `signal.data` through the server (introductions,
 * SDP offers and answers, ICE candidates) and what travels over a data channel (the sender's
 * agent, its events, its presence, pings). Everything from a peer is checked like network input:
 * a value that is not exactly one of these shapes parses to undefined and is dropped by the caller.
 */
import { checkEvents, type Event, type JsonValue } from '@tandem/core';
import { parseTabMessage, type TabPresence } from '../tabs/tab-channel.js';
import type { IceCandidateLike } from './peer-connection.js';

/** Longest SDP or candidate string accepted (the server caps the whole signal at 64 KiB anyway). */
const MAX_SDP_CHARS = 60_000;
const MAX_ID_CHARS = 128;

export type PeerSignal =
  /** An introduction: `reply` when answering someone else's (so nobody answers an answer). */
  | { readonly kind: 'hello'; readonly reply: boolean }
  /** `link` names one attempt, so answers and candidates of an abandoned attempt are ignored. */
  | { readonly kind: 'offer'; readonly link: string; readonly sdp: string }
  | { readonly kind: 'answer'; readonly link: string; readonly sdp: string }
  | { readonly kind: 'candidate'; readonly link: string; readonly candidate: IceCandidateLike }
  /** The sender will not open a link now (mesh full, closing). */
  | { readonly kind: 'bye' };

export type PeerMessage =
  /** First message on a channel: the agent the sender's events carry. */
  | { readonly k: 'hi'; readonly agent: string }
  | { readonly k: 'ev'; readonly events: readonly Event[] }
  /** `seq` grows with every presence message of the sender: older ones are ignored. `null`: gone. */
  | { readonly k: 'pr'; readonly seq: number; readonly presence: TabPresence | null }
  | { readonly k: 'ping'; readonly t: number }
  | { readonly k: 'pong'; readonly t: number };

/** Marks our signals so other uses of `signal` by the app are left alone. */
const TAG = 'tandem-p2p';

/** The JSON for `signal.data`. */
export function encodeSignal(signal: PeerSignal): JsonValue {
  switch (signal.kind) {
    case 'candidate': {
      const c = signal.candidate;
      return { tag: TAG, kind: 'candidate', link: signal.link, candidate: { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null } };
    }
    default:
      return { tag: TAG, ...signal };
  }
}

/** Whether `signal.data` is meant for peer-to-peer sync (other signals belong to the app). */
export function isPeerSignal(data: unknown): boolean {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && (data as Record<string, unknown>)['tag'] === TAG;
}

function str(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

/** The signal in `data`, or undefined when it is not one of ours (or malformed). */
export function parseSignal(data: unknown): PeerSignal | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  if (d['tag'] !== TAG) return undefined;
  switch (d['kind']) {
    case 'hello':
      return { kind: 'hello', reply: d['reply'] === true };
    case 'bye':
      return { kind: 'bye' };
    case 'offer':
    case 'answer':
      if (!str(d['link'], MAX_ID_CHARS) || !str(d['sdp'], MAX_SDP_CHARS)) return undefined;
      return { kind: d['kind'], link: d['link'], sdp: d['sdp'] };
    case 'candidate': {
      if (!str(d['link'], MAX_ID_CHARS)) return undefined;
      const c = d['candidate'];
      if (typeof c !== 'object' || c === null) return undefined;
      const r = c as Record<string, unknown>;
      if (typeof r['candidate'] !== 'string' || r['candidate'].length > MAX_SDP_CHARS) return undefined;
      const mid = r['sdpMid'];
      const index = r['sdpMLineIndex'];
      if (mid !== null && mid !== undefined && !str(mid, MAX_ID_CHARS)) return undefined;
      if (index !== null && index !== undefined && !(Number.isSafeInteger(index) && (index as number) >= 0)) return undefined;
      return {
        kind: 'candidate',
        link: d['link'],
        candidate: { candidate: r['candidate'], sdpMid: (mid as string | null | undefined) ?? null, sdpMLineIndex: (index as number | null | undefined) ?? null },
      };
    }
    default:
      return undefined;
  }
}

/** A data-channel message as text. */
export function encodeMessage(message: PeerMessage): string {
  return JSON.stringify(message);
}

/**
 * The message in a data-channel frame, or undefined when it is too big, not JSON, or not exactly
 * a message this version knows (events are checked in full by the core's validator).
 */
export function parseMessage(frame: unknown, maxBytes: number): PeerMessage | undefined {
  let text: string;
  if (typeof frame === 'string') text = frame;
  else if (frame instanceof Uint8Array) text = new TextDecoder('utf-8', { fatal: false }).decode(frame);
  else if (frame instanceof ArrayBuffer) text = new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(frame));
  else return undefined;
  // UTF-16 length ≤ UTF-8 length: a cheap bound before parsing.
  if (text.length > maxBytes) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const m = value as Record<string, unknown>;
  switch (m['k']) {
    case 'hi':
      return str(m['agent'], MAX_ID_CHARS) ? { k: 'hi', agent: m['agent'] } : undefined;
    case 'ev':
      try {
        const events = checkEvents(m['events']);
        return events.length > 0 ? { k: 'ev', events } : undefined;
      } catch {
        return undefined;
      }
    case 'pr': {
      const seq = m['seq'];
      if (!Number.isSafeInteger(seq) || (seq as number) < 0) return undefined;
      // The tab channel's presence shape is the same: reuse its checks.
      const parsed = parseTabMessage({ kind: 'presence', docId: '-', from: '-', presence: m['presence'] });
      if (parsed === undefined || parsed.kind !== 'presence') return undefined;
      return { k: 'pr', seq: seq as number, presence: parsed.presence };
    }
    case 'ping':
    case 'pong':
      return typeof m['t'] === 'number' && Number.isFinite(m['t']) ? { k: m['k'], t: m['t'] } : undefined;
    default:
      return undefined;
  }
}
