/**
 * Validators for the presence shapes shared by several messages: cursors, the presence state a
 * client publishes, the peer records a server sends, and the app-defined `custom` fields.
 */
import type { JsonValue } from '@tandem/core';
import { boolean, boundedString, fail, FieldReader, isPlainObject, mustBe, nonNegativeInt, nullable, oneOf, type Check, type Writable } from './fields.js';
import { checkJsonObject, keyPath } from './json-data.js';
import {
  MAX_ACTIVITY_LENGTH,
  MAX_CUSTOM_BYTES,
  MAX_CUSTOM_KEYS,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_TEXT_NAME_LENGTH,
  MAX_USER_ID_LENGTH,
} from './limits.js';
import { ErrorCode, type CursorRange, type PresencePeer, type PresenceState, type PresenceStatus } from './messages.js';

export const PRESENCE_STATUSES: readonly PresenceStatus[] = ['online', 'away', 'offline'];

/**
 * Field names refused in `custom`. Stored as own data they would be harmless here, but presence
 * state is merged and copied by apps and servers, and one `Object.assign` of a "__proto__" field
 * swaps the target's prototype; refusing the names at the edge removes that whole class of bug.
 */
export const RESERVED_CUSTOM_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;

export const textName = boundedString(1, MAX_TEXT_NAME_LENGTH);
export const userId = boundedString(1, MAX_USER_ID_LENGTH);
export const displayName = boundedString(1, MAX_DISPLAY_NAME_LENGTH);
const activity = boundedString(0, MAX_ACTIVITY_LENGTH);
const status = oneOf(PRESENCE_STATUSES);

/** A CSS hex color: #rgb, #rgba, #rrggbb or #rrggbbaa. */
export const color: Check<string> = (v, path) => {
  if (typeof v !== 'string' || !HEX_COLOR.test(v)) return mustBe(path, 'a CSS hex color such as "#3b82f6"', v);
  return v;
};

export const cursorRange: Check<CursorRange> = (v, path) => {
  const r = new FieldReader(v, path, ['text', 'anchor', 'head']);
  const out: Writable<CursorRange> = { anchor: r.req('anchor', nonNegativeInt), head: r.req('head', nonNegativeInt) };
  const text = r.opt('text', textName);
  if (text !== undefined) out.text = text;
  return out;
};

export const cursorOrNull: Check<CursorRange | null> = nullable(cursorRange);

/** App-defined presence fields: at most MAX_CUSTOM_KEYS fields and MAX_CUSTOM_BYTES of JSON, no reserved names. */
export const custom: Check<{ readonly [key: string]: JsonValue }> = (v, path) => {
  if (!isPlainObject(v)) return mustBe(path, 'an object', v);
  const keys = Object.keys(v);
  if (keys.length > MAX_CUSTOM_KEYS) fail(ErrorCode.LimitExceeded, `${path} has ${keys.length} fields, more than the limit of ${MAX_CUSTOM_KEYS}`);
  for (const key of keys) {
    if (RESERVED_CUSTOM_KEYS.includes(key)) fail(ErrorCode.BadMessage, `${keyPath(path, key)}: ${JSON.stringify(key)} is a reserved field name`);
  }
  return checkJsonObject(v, path, { maxBytes: MAX_CUSTOM_BYTES });
};

/** The presence a client publishes; every field optional (absent fields keep their previous value). */
export const presenceState: Check<PresenceState> = (v, path) => {
  const r = new FieldReader(v, path, ['name', 'color', 'status', 'activity', 'typing', 'cursor', 'custom', 'invisible']);
  const out: Writable<PresenceState> = {};
  const name = r.opt('name', displayName);
  if (name !== undefined) out.name = name;
  const c = r.opt('color', color);
  if (c !== undefined) out.color = c;
  const s = r.opt('status', status);
  if (s !== undefined) out.status = s;
  const a = r.opt('activity', activity);
  if (a !== undefined) out.activity = a;
  const typing = r.opt('typing', boolean);
  if (typing !== undefined) out.typing = typing;
  const cursor = r.opt('cursor', cursorOrNull);
  if (cursor !== undefined) out.cursor = cursor;
  const cu = r.opt('custom', custom);
  if (cu !== undefined) out.custom = cu;
  const invisible = r.opt('invisible', boolean);
  if (invisible !== undefined) out.invisible = invisible;
  return out;
};

/** One user as the server describes them to others. */
export const presencePeer: Check<PresencePeer> = (v, path) => {
  const r = new FieldReader(v, path, ['userId', 'name', 'color', 'status', 'activity', 'typing', 'cursor', 'custom', 'lastSeen']);
  const out: Writable<PresencePeer> = {
    userId: r.req('userId', userId),
    name: r.req('name', displayName),
    color: r.req('color', color),
    status: r.req('status', status),
    typing: r.req('typing', boolean),
    cursor: r.req('cursor', cursorOrNull),
    custom: r.req('custom', custom),
    lastSeen: r.req('lastSeen', nonNegativeInt),
  };
  const a = r.opt('activity', activity);
  if (a !== undefined) out.activity = a;
  return out;
};
