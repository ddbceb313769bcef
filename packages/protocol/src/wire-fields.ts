/**
 * Checks for the identifier and payload fields that many messages share (document, room,
 * operation and connection ids, event names, app data, scopes, levels), so one id is bounded the
 * same way in every message and in both directions.
 */
import type { JsonValue } from '@tandem/core';
import { boundedString, FieldReader, oneOf, type Check } from './fields.js';
import { checkJsonData } from './json-data.js';
import {
  MAX_CONNECTION_ID_LENGTH,
  MAX_DATA_BYTES,
  MAX_DOC_ID_LENGTH,
  MAX_EVENT_NAME_LENGTH,
  MAX_OPERATION_ID_LENGTH,
  MAX_ROOM_LENGTH,
  MAX_TOKEN_LENGTH,
} from './limits.js';
import { LEVELS } from './messages.js';

/** Any well-formed string of 1..256 characters; "__proto__" is as good a document id as any. */
export const docId = boundedString(1, MAX_DOC_ID_LENGTH);
export const room = boundedString(1, MAX_ROOM_LENGTH);
export const operationId = boundedString(1, MAX_OPERATION_ID_LENGTH);
export const connectionId = boundedString(1, MAX_CONNECTION_ID_LENGTH);
export const token = boundedString(1, MAX_TOKEN_LENGTH);
export const eventName = boundedString(1, MAX_EVENT_NAME_LENGTH);
export const scope = oneOf(['doc', 'room']);
export const level = oneOf(LEVELS);

/** `presence_update.id` and friends name a document or a room; both share one bound. */
export const scopeId = boundedString(1, Math.max(MAX_DOC_ID_LENGTH, MAX_ROOM_LENGTH));

/** App-defined signal / broadcast payload: any JSON value up to MAX_DATA_BYTES. */
export const data: Check<JsonValue> = (v, path) => checkJsonData(v, path, { maxBytes: MAX_DATA_BYTES });

/** A reader for a message of `type`: the only fields allowed are `type` and `fields`. */
export function messageReader(value: unknown, type: string, fields: readonly string[]): FieldReader {
  return new FieldReader(value, type, ['type', ...fields]);
}
