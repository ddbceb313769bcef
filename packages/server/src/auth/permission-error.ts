/**
 * The error of every refused permission check or sharing change. Its code is one of the
 * protocol's stable error codes, so the WebSocket layer can send it as an `error` message and the
 * REST layer can pick the HTTP status, without either knowing which rule refused. Messages name
 * the document and the user (quoted and shortened: both are client-chosen strings).
 */
import { ErrorCode } from '@tandem/protocol';

export type PermissionErrorCode =
  /** The user's level does not allow the action, or the change would break a rule (last owner). */
  | typeof ErrorCode.PermissionDenied
  /** The document, or the share link on it, does not exist. */
  | typeof ErrorCode.NotFound
  /** An argument can never be valid (unknown level, expiry in the past, unstorable id). */
  | typeof ErrorCode.BadMessage;

export class PermissionError extends Error {
  readonly code: PermissionErrorCode;
  readonly doc: string | undefined;
  readonly user: string | undefined;
  constructor(code: PermissionErrorCode, message: string, where: { doc?: string; user?: string } = {}) {
    super(message);
    this.name = 'PermissionError';
    this.code = code;
    this.doc = where.doc;
    this.user = where.user;
  }
}

export function isPermissionError(e: unknown, code?: PermissionErrorCode): e is PermissionError {
  return e instanceof PermissionError && (code === undefined || e.code === code);
}
