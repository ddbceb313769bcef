/**
 * @tandem/protocol: the Tandem wire protocol shared by server and client SDK. Message types (the
 * source of truth is messages.ts), the validators each side runs on every incoming frame, error
 * and close codes, limits, and the version handshake.
 */
export * from './messages.js';
export { ProtocolError, isProtocolError, toErrorMessage, type ProtocolErrorContext } from './errors.js';
export { parseClientMessage, validateClientMessage, CLIENT_MESSAGE_TYPES } from './validate-client.js';
export { parseServerMessage, validateServerMessage, SERVER_MESSAGE_TYPES } from './validate-server.js';
export * from './limits.js';
export * from './handshake.js';
export * from './close-codes.js';
export { PRESENCE_STATUSES, RESERVED_CUSTOM_KEYS } from './presence.js';
export { utf8Length, fitsUtf8 } from './utf8.js';
export { encodeBase64, decodeBase64 } from './base64.js';
// The core types that appear inside messages, so protocol users need not import the core for them.
export type { Event, EventId, JsonValue, OpComponent, Change } from '@tandem/core';
