/**
 * What one connection has told a presence room about itself, and how a partial `PresenceState`
 * update merges into it. The protocol validator has already checked shapes; this module copies
 * only the fields presence uses (so stray keys and caller-owned objects are never kept), enforces
 * the room's own size bound on `custom`, and keeps prototype-named keys as plain own data.
 */
import type { JsonValue } from '@tandem/core';
import type { CursorRange, PresenceState } from '@tandem/protocol';
import { failure, type PresenceFailure } from './types.js';

export type CustomFields = { readonly [key: string]: JsonValue };

export interface ConnectionState {
  /** The status the client chose; 'away' keeps the connection away even while it is active. */
  readonly chosenStatus: 'online' | 'away';
  readonly activity: string | undefined;
  readonly typing: boolean;
  readonly cursor: CursorRange | null;
  readonly custom: CustomFields;
  /** `custom` as JSON: compared instead of walking the object, and its size already measured. */
  readonly customJson: string;
  readonly invisible: boolean;
}

export const INITIAL_CONNECTION_STATE: ConnectionState = Object.freeze({
  chosenStatus: 'online',
  activity: undefined,
  typing: false,
  cursor: null,
  custom: Object.freeze({}),
  customJson: '{}',
  invisible: false,
});

/** A cursor copied down to the fields the room uses, or a reason it cannot be anchored. */
function copyCursor(cursor: CursorRange | null): CursorRange | null | string {
  if (cursor === null) return null;
  const { anchor, head, text } = cursor;
  // transformPosition throws on anything else, and it runs on every edit: refuse it here, once.
  if (!Number.isSafeInteger(anchor) || anchor < 0 || !Number.isSafeInteger(head) || head < 0) {
    return 'cursor anchor and head must be non-negative integers';
  }
  return text === undefined ? { anchor, head } : { text, anchor, head };
}

/**
 * `custom` copied through JSON: the copy owns no caller object, and JSON.parse makes a key named
 * "__proto__" an own property instead of calling the prototype setter (which Object.assign would).
 */
function copyCustom(custom: CustomFields, maxBytes: number): { custom: CustomFields; json: string } | string {
  const json = JSON.stringify(custom);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) return `presence custom fields are ${bytes} bytes as JSON; the limit is ${maxBytes}`;
  return { custom: JSON.parse(json) as CustomFields, json };
}

/**
 * Merges a partial update: each top-level field present replaces the old one; absent fields stay.
 * `custom` is replaced as a whole, so a client can remove a key by sending the object without it.
 * `name` and `color` are ignored: they come from auth, so nobody can appear as someone else.
 * A client-chosen 'offline' counts as 'away': a connected client is, by definition, not offline.
 */
export function mergeConnectionState(prev: ConnectionState, patch: PresenceState, maxCustomBytes: number): ConnectionState | PresenceFailure {
  let cursor = prev.cursor;
  if (patch.cursor !== undefined) {
    const copied = copyCursor(patch.cursor);
    if (typeof copied === 'string') return failure('BAD_MESSAGE', copied);
    cursor = copied;
  }
  let custom = prev.custom;
  let customJson = prev.customJson;
  if (patch.custom !== undefined) {
    const copied = copyCustom(patch.custom, maxCustomBytes);
    if (typeof copied === 'string') return failure('LIMIT_EXCEEDED', copied);
    custom = copied.custom;
    customJson = copied.json;
  }
  let activity = prev.activity;
  // The protocol defines an empty activity as "clear it".
  if (patch.activity !== undefined) activity = patch.activity === '' ? undefined : patch.activity;
  return {
    chosenStatus: patch.status === undefined ? prev.chosenStatus : patch.status === 'online' ? 'online' : 'away',
    activity,
    typing: patch.typing ?? prev.typing,
    cursor,
    custom,
    customJson,
    invisible: patch.invisible ?? prev.invisible,
  };
}

/** True when `value` is a refusal rather than a merged state. */
export function isFailure(value: ConnectionState | PresenceFailure): value is PresenceFailure {
  return 'ok' in value;
}
