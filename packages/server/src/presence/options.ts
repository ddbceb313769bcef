/**
 * PresenceRoom configuration: the options a caller may pass, their defaults (exported so the
 * server's config and docs quote one source), and the check that turns options into settings the
 * room can use without re-validating. Bad numbers are programmer errors and throw at construction.
 */
import type { PersistedMember, PresenceScheduler, PresenceScope, PresenceSend, TouchLastSeen } from './types.js';

/** A connection with no message for this long is shown as away. */
export const DEFAULT_AWAY_AFTER_MS = 60_000;
/** A connection with no heartbeat for this long is dropped as if it left (no ghost cursors). */
export const DEFAULT_PRESENCE_TTL_MS = 30_000;
/** Presence and cursor broadcasts per second per source connection; faster updates coalesce. */
export const DEFAULT_MAX_UPDATES_PER_SECOND = 30;
/** Live connections per room: each one receives every broadcast, so fan-out cost grows with it. */
export const DEFAULT_MAX_MEMBERS = 1_000;
/**
 * UTF-8 bytes of a connection's `custom` fields as JSON. The protocol validator applies its own cap
 * to each frame; this one is the room's, so a server can hold presence tighter than the wire allows.
 */
export const DEFAULT_MAX_CUSTOM_BYTES = 4 * 1024;
/** Last-seen writes per user at most this often; leaving always writes. */
export const DEFAULT_TOUCH_INTERVAL_MS = 30_000;
/** Offline members remembered for `members()`; the oldest are forgotten first. */
export const DEFAULT_MAX_REMEMBERED_MEMBERS = 10_000;

export interface PresenceRoomOptions {
  readonly scope: PresenceScope;
  /** The document id or room id, echoed in every message. */
  readonly id: string;
  readonly send: PresenceSend;
  /** Milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Default: an unref'd `setTimeout`, so a pending flush never keeps the process alive. */
  readonly schedule?: PresenceScheduler;
  /** Server version of the document at creation (doc scope). Default 0. */
  readonly version?: number;
  readonly awayAfterMs?: number;
  readonly ttlMs?: number;
  readonly maxUpdatesPerSecond?: number;
  readonly maxMembers?: number;
  readonly maxCustomBytes?: number;
  readonly touchIntervalMs?: number;
  readonly maxRememberedMembers?: number;
  /** Persists last-seen times (rooms). Without it nothing is persisted. */
  readonly touch?: TouchLastSeen;
  /** Last-seen entries loaded from storage, shown by `members()` for offline members. */
  readonly persisted?: readonly PersistedMember[];
  /**
   * Told about a failed `touch` or a throwing `send`. A failure for one recipient must not stop
   * delivery to the others, so the room reports instead of throwing. Default: ignore.
   */
  readonly onError?: (error: unknown) => void;
}

/** Options with every default applied and every number checked. */
export interface PresenceSettings {
  readonly scope: PresenceScope;
  readonly id: string;
  readonly send: PresenceSend;
  readonly now: () => number;
  readonly schedule: PresenceScheduler;
  readonly version: number;
  readonly awayAfterMs: number;
  readonly ttlMs: number;
  /** Minimum spacing of broadcasts from one source connection. */
  readonly updateIntervalMs: number;
  readonly maxMembers: number;
  readonly maxCustomBytes: number;
  readonly touchIntervalMs: number;
  readonly maxRememberedMembers: number;
  readonly touch: TouchLastSeen | undefined;
  readonly persisted: readonly PersistedMember[];
  readonly onError: (error: unknown) => void;
}

function realSchedule(delayMs: number, fn: () => void): () => void {
  const timer = setTimeout(fn, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive finite number, got ${String(v)}`);
  return v;
}

function count(name: string, value: number | undefined, fallback: number): number {
  const v = positive(name, value, fallback);
  if (!Number.isSafeInteger(v)) throw new RangeError(`${name} must be an integer, got ${v}`);
  return v;
}

/** Applies defaults and validates. @throws RangeError on a non-positive or non-finite number. */
export function resolvePresenceOptions(options: PresenceRoomOptions): PresenceSettings {
  if (options.scope !== 'doc' && options.scope !== 'room') throw new RangeError(`scope must be 'doc' or 'room', got ${String(options.scope)}`);
  const version = options.version ?? 0;
  if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`version must be a non-negative integer, got ${version}`);
  return {
    scope: options.scope,
    id: options.id,
    send: options.send,
    now: options.now ?? Date.now,
    schedule: options.schedule ?? realSchedule,
    version,
    awayAfterMs: positive('awayAfterMs', options.awayAfterMs, DEFAULT_AWAY_AFTER_MS),
    ttlMs: positive('ttlMs', options.ttlMs, DEFAULT_PRESENCE_TTL_MS),
    // Whole milliseconds, rounded up: a fractional spacing could drift by float error into one
    // broadcast too many per second.
    updateIntervalMs: Math.ceil(1000 / positive('maxUpdatesPerSecond', options.maxUpdatesPerSecond, DEFAULT_MAX_UPDATES_PER_SECOND)),
    maxMembers: count('maxMembers', options.maxMembers, DEFAULT_MAX_MEMBERS),
    maxCustomBytes: count('maxCustomBytes', options.maxCustomBytes, DEFAULT_MAX_CUSTOM_BYTES),
    touchIntervalMs: positive('touchIntervalMs', options.touchIntervalMs, DEFAULT_TOUCH_INTERVAL_MS),
    maxRememberedMembers: count('maxRememberedMembers', options.maxRememberedMembers, DEFAULT_MAX_REMEMBERED_MEMBERS),
    touch: options.touch,
    persisted: options.persisted ?? [],
    onError: options.onError ?? (() => {}),
  };
}
