/**
 * The presence module's public surface: what the server's connection layer and config use.
 */
export { PresenceRoom } from './presence-room.js';
export {
  DEFAULT_AWAY_AFTER_MS,
  DEFAULT_MAX_CUSTOM_BYTES,
  DEFAULT_MAX_MEMBERS,
  DEFAULT_MAX_REMEMBERED_MEMBERS,
  DEFAULT_MAX_UPDATES_PER_SECOND,
  DEFAULT_PRESENCE_TTL_MS,
  DEFAULT_TOUCH_INTERVAL_MS,
  resolvePresenceOptions,
} from './options.js';
export type { PresenceRoomOptions, PresenceSettings } from './options.js';
export { DEFAULT_TEXT_NAME } from './cursor-anchor.js';
export type {
  CancelScheduled,
  PersistedMember,
  PresenceFailure,
  PresenceOutboundMessage,
  PresenceResult,
  PresenceScheduler,
  PresenceScope,
  PresenceSend,
  PresenceUser,
  TouchLastSeen,
} from './types.js';
