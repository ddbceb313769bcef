/**
 * The auth layer's public face for the rest of the server: authentication (JWT or dev mode),
 * finding tokens in requests, and per-document permissions with share links.
 */
export { AuthError, isAuthError, type AuthFailure } from './auth-error.js';
export {
  Authenticator,
  CLOCK_TOLERANCE_SECONDS,
  MAX_TOKEN_LENGTH,
  type AuthConfig,
  type AuthMode,
  type DevAuthConfig,
  type DevUser,
  type Hs256AuthConfig,
  type JwksAuthConfig,
} from './authenticator.js';
export { tokenFromRequest } from './request-token.js';
export type { Principal } from './principal.js';
export { colorForUser, USER_COLORS } from './user-color.js';
export { ACTIONS, can, strongerLevel, type Action } from './access.js';
export { PermissionError, isPermissionError, type PermissionErrorCode } from './permission-error.js';
export { PermissionService, type LevelOptions, type PermissionServiceOptions } from './permissions.js';
