/**
 * The error every failed authentication ends in. It carries the protocol's stable
 * `UNAUTHENTICATED` code, so the connection and REST layers can answer without knowing why, and
 * a machine-readable `reason` for logs and metrics. Messages say what was wrong with a token but
 * never contain the token itself: they end up in logs and in replies to whoever sent it.
 */
import { ErrorCode } from '@tandem/protocol';

/** Why authentication failed; stable, so dashboards can count them. */
export type AuthFailure =
  /** No token was given (and the server is not in dev mode). */
  | 'missing'
  /** The token is not a well-formed JWS compact JWT, or is too long to be one. */
  | 'malformed'
  /** The signature does not verify with the configured key(s). */
  | 'signature'
  /** The token's `alg` is not one the server accepts (including `none`). */
  | 'algorithm'
  /** `exp` is in the past (beyond the clock tolerance). */
  | 'expired'
  /** A claim is missing or has the wrong value: sub, iss, aud, nbf, exp, iat. */
  | 'claims'
  /** The JWKS endpoint could not be reached or served no usable key set. */
  | 'keys_unavailable'
  /** Dev mode: no usable self-chosen user was given. */
  | 'dev_user';

export class AuthError extends Error {
  readonly code: typeof ErrorCode.Unauthenticated = ErrorCode.Unauthenticated;
  readonly reason: AuthFailure;
  constructor(reason: AuthFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthError';
    this.reason = reason;
  }
}

export function isAuthError(e: unknown): e is AuthError {
  return e instanceof AuthError;
}
