/**
 * The encodings of Tandem events: the JSON form (wire, debugging) and the compact binary form
 * (storage, sync batches).
 */
export { checkEvent, checkEvents, eventToJSON, MAX_KEY_LENGTH, MAX_NAME_LENGTH, DEFAULT_MAX_PARENTS, type EventLimits } from './json-event.js';
export { checkJsonValue, MAX_JSON_DEPTH, DEFAULT_MAX_VALUE_BYTES } from './json-value.js';
export {
  decodeDocument,
  decodeEvents,
  encodeDocument,
  encodeEvents,
  type DecodeLimits,
  type DocumentSnapshot,
  type EncodedDocument,
  type EncodeOptions,
} from './binary.js';
