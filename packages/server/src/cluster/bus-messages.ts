/**
 * Reading what arrives on the cluster bus: JSON from other nodes of the same cluster, checked field
 * by field into the bus types. Peers are trusted code, but Redis is shared infrastructure and a
 * node of another version may be running during a rolling deploy: a message that does not fit is
 * dropped (undefined), never half-applied, and never reaches a client unchecked.
 */
import type { CursorRange, PresenceState, PresenceStatus } from '@tandem/protocol';
import type { JsonValue } from '@tandem/core';
import { NODE_ID_PATTERN } from '../config.js';
import type { CommitNotice, DirectMessage, NodeHeartbeat, PresenceEntry, PresenceRelay, RelayedUser } from './cluster-bus.js';

type Obj = { readonly [key: string]: unknown };

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

function str(v: unknown, max = 4096): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
}

function version(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

function nodeId(v: unknown): string | undefined {
  return typeof v === 'string' && NODE_ID_PATTERN.test(v) ? v : undefined;
}

const STATUSES: readonly PresenceStatus[] = ['online', 'away', 'offline'];

function cursor(v: unknown): CursorRange | null | undefined {
  if (v === null) return null;
  const c = obj(v);
  const anchor = version(c?.['anchor']);
  const head = version(c?.['head']);
  if (c === undefined || anchor === undefined || head === undefined) return undefined;
  const text = str(c['text'], 256);
  return text === undefined ? { anchor, head } : { text, anchor, head };
}

/** The known fields of a presence state with the right types; anything else is left out. */
export function parseState(v: unknown): PresenceState | undefined {
  const s = obj(v);
  if (s === undefined) return undefined;
  const out: { -readonly [K in keyof PresenceState]: PresenceState[K] } = {};
  const status = s['status'];
  if (typeof status === 'string' && (STATUSES as readonly string[]).includes(status)) out.status = status as PresenceStatus;
  if (typeof s['activity'] === 'string') out.activity = s['activity'];
  if (typeof s['typing'] === 'boolean') out.typing = s['typing'];
  if (typeof s['invisible'] === 'boolean') out.invisible = s['invisible'];
  if ('cursor' in s) {
    const c = cursor(s['cursor']);
    if (c !== undefined) out.cursor = c;
  }
  const custom = obj(s['custom']);
  if (custom !== undefined) out.custom = custom as { readonly [key: string]: JsonValue };
  return out;
}

function user(v: unknown): RelayedUser | undefined {
  const u = obj(v);
  const id = str(u?.['id'], 512);
  const name = str(u?.['name'], 512);
  const color = str(u?.['color'], 64);
  return id === undefined || name === undefined || color === undefined ? undefined : { id, name, color };
}

export function parseCommit(v: unknown, docId: string): CommitNotice | undefined {
  const m = obj(v);
  const node = nodeId(m?.['node']);
  const head = version(m?.['head']);
  return node === undefined || head === undefined || docId.length === 0 ? undefined : { node, docId, head };
}

export function parseRelay(v: unknown): PresenceRelay | undefined {
  const m = obj(v);
  const node = nodeId(m?.['node']);
  const conn = str(m?.['conn'], 256);
  if (m === undefined || node === undefined || conn === undefined) return undefined;
  const cursorVersion = version(m['cursorVersion']);
  const at = cursorVersion === undefined ? {} : { cursorVersion };
  switch (m['kind']) {
    case 'join': {
      const u = user(m['user']);
      const state = parseState(m['state']);
      return u === undefined || state === undefined ? undefined : { kind: 'join', node, conn, user: u, state, ...at };
    }
    case 'update': {
      const state = parseState(m['state']);
      return state === undefined ? undefined : { kind: 'update', node, conn, state, ...at };
    }
    case 'leave':
      return { kind: 'leave', node, conn };
    case 'event': {
      const from = str(m['from'], 512);
      const event = str(m['event'], 256);
      if (from === undefined || event === undefined) return undefined;
      return 'data' in m ? { kind: 'event', node, conn, from, event, data: m['data'] } : { kind: 'event', node, conn, from, event };
    }
    default:
      return undefined;
  }
}

export function parseEntry(text: string): PresenceEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const e = obj(v);
  const conn = str(e?.['conn'], 256);
  const u = user(e?.['user']);
  const state = parseState(e?.['state']);
  if (e === undefined || conn === undefined || u === undefined || state === undefined) return undefined;
  const cursorVersion = version(e['cursorVersion']);
  return cursorVersion === undefined ? { conn, user: u, state } : { conn, user: u, state, cursorVersion };
}

export function parseHeartbeat(v: unknown): NodeHeartbeat | undefined {
  const m = obj(v);
  const node = nodeId(m?.['node']);
  const epoch = str(m?.['epoch'], 128);
  const active = m?.['active'];
  if (node === undefined || epoch === undefined || !Array.isArray(active)) return undefined;
  return { node, epoch, fresh: m?.['fresh'] === true, active: active.filter((c): c is string => typeof c === 'string') };
}

export function parseDirect(v: unknown): DirectMessage | undefined {
  const m = obj(v);
  const docId = str(m?.['docId'], 1024);
  const from = str(m?.['from'], 256);
  const to = str(m?.['to'], 256);
  if (m === undefined || docId === undefined || from === undefined || to === undefined) return undefined;
  if (m['kind'] === 'signal_failed') return { kind: 'signal_failed', docId, from, to };
  const fromNode = nodeId(m['fromNode']);
  const userId = str(m['userId'], 512);
  const level = str(m['level'], 32);
  if (m['kind'] !== 'signal' || fromNode === undefined || userId === undefined || level === undefined) return undefined;
  return { kind: 'signal', fromNode, docId, from, userId, level, to, data: m['data'] };
}
