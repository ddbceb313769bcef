/**
 * The live members of a presence room — connections grouped by user — and how a user's several
 * connections (tabs, devices) fold into the one `PresencePeer` others see. The fold: cursor,
 * activity and custom fields of the most recently active connection (where the user is now);
 * 'online' if any connection is, else 'away'; typing if any connection is; lastSeen the latest.
 */
import type { CursorRange, PresencePeer, PresenceStatus } from '@tandem/protocol';
import type { ConnectionState } from './connection-state.js';
import type { Throttle } from './throttle.js';

export interface LiveConnection {
  readonly id: string;
  readonly user: LiveUser;
  state: ConnectionState;
  /** Last message of any kind (resets idle). */
  lastActivity: number;
  /** Last sign of life (a heartbeat or any message); silence past the TTL drops the connection. */
  lastHeartbeat: number;
  /** Idle past the away timeout. */
  idle: boolean;
  /** Join order in the room: breaks ties between connections active in the same millisecond. */
  readonly seq: number;
  readonly throttle: Throttle;
}

/** What others were last told about a user, kept to tell real changes from repeats. */
export interface Announced {
  readonly peer: PresencePeer;
  readonly customJson: string;
  /** The connection whose cursor the peer shows (it moves with edits differently: see the room). */
  readonly cursorConnection: string | null;
}

export interface LiveUser {
  readonly id: string;
  /** From auth; the latest join wins, so a renamed user shows the new name on their next tab. */
  name: string;
  color: string;
  readonly connections: Map<string, LiveConnection>;
  /** Null while others consider the user absent (never announced, or hidden, or gone). */
  announced: Announced | null;
  /** When last-seen was last persisted for this user (debounce). */
  lastTouchAt: number;
}

export function connectionStatus(conn: LiveConnection): 'online' | 'away' {
  return conn.idle || conn.state.chosenStatus === 'away' ? 'away' : 'online';
}

/**
 * Invisible on any connection hides the user everywhere: invisibility is the user's choice, and a
 * second tab or device that never heard of it must not reveal them.
 */
export function isVisible(user: LiveUser): boolean {
  if (user.connections.size === 0) return false;
  for (const conn of user.connections.values()) if (conn.state.invisible) return false;
  return true;
}

/** The connection the user used last. @throws Error when the user has none (a room bug). */
export function mostRecentConnection(user: LiveUser): LiveConnection {
  let best: LiveConnection | undefined;
  for (const conn of user.connections.values()) {
    if (best === undefined || conn.lastActivity > best.lastActivity || (conn.lastActivity === best.lastActivity && conn.seq > best.seq)) best = conn;
  }
  if (best === undefined) throw new Error(`presence user ${JSON.stringify(user.id)} has no connection`);
  return best;
}

/** The one peer others see for `user`, with what is needed to compare it with the next one. */
export function aggregate(user: LiveUser): Announced {
  const latest = mostRecentConnection(user);
  let status: PresenceStatus = 'away';
  let typing = false;
  let lastSeen = Number.NEGATIVE_INFINITY;
  for (const conn of user.connections.values()) {
    if (connectionStatus(conn) === 'online') status = 'online';
    if (conn.state.typing) typing = true;
    if (conn.lastActivity > lastSeen) lastSeen = conn.lastActivity;
  }
  const { activity, cursor, custom, customJson } = latest.state;
  const base = { userId: user.id, name: user.name, color: user.color, status, typing, cursor, custom, lastSeen };
  // `activity` is optional on the wire: omitted rather than sent as undefined/null.
  const peer: PresencePeer = activity === undefined ? base : { ...base, activity };
  return { peer, customJson, cursorConnection: cursor === null ? null : latest.id };
}

function sameCursor(a: CursorRange | null, b: CursorRange | null): boolean {
  if (a === null || b === null) return a === b;
  return a.anchor === b.anchor && a.head === b.head && (a.text ?? 'body') === (b.text ?? 'body');
}

/**
 * How `next` differs from what was announced: nothing, only the cursor, or more. `lastSeen` is
 * left out: it moves with every message, and broadcasting it alone would turn every keystroke of
 * every user into presence traffic; it rides along with the next real change.
 */
export function difference(prev: Announced, next: Announced): 'same' | 'cursor' | 'other' {
  const a = prev.peer;
  const b = next.peer;
  if (a.name !== b.name || a.color !== b.color || a.status !== b.status || a.typing !== b.typing || a.activity !== b.activity || prev.customJson !== next.customJson) {
    return 'other';
  }
  return sameCursor(a.cursor, b.cursor) ? 'same' : 'cursor';
}
