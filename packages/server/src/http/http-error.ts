/**
 * The errors of the REST API and how every error the server's layers throw becomes an HTTP answer:
 * a status and a JSON body `{ error: { code, message } }` with a stable code. Codes are the
 * WebSocket protocol's where one fits (UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND,
 * VERSION_CONFLICT, STORAGE_UNAVAILABLE, INTERNAL), so clients handle both alike.
 */
import { TandemError } from '@tandem/core';
import { AuthError, PermissionError } from '../auth/index.js';
import { HistoryError } from '../history/history-error.js';
import { isStoreError, StoreErrorCode } from '../storage/store-error.js';
import { SessionFailedError, StorageReadError } from '../sync/document-session.js';

export type RestErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'VERSION_CONFLICT'
  | 'ALREADY_EXISTS'
  | 'BODY_TOO_LARGE'
  | 'INVALID_OPERATION'
  | 'STORAGE_UNAVAILABLE'
  | 'INTERNAL';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: RestErrorCode,
    message: string,
    /** More fields for the error object (for example the current version of a 409). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, 'BAD_REQUEST', message);
}

/**
 * The HTTP form of any error; `internal` is true for the unexpected ones, which the caller logs
 * and answers without detail (their messages may say things about the server that clients need not know).
 */
export function toHttpError(err: unknown): { error: HttpError; internal: boolean } {
  if (err instanceof HttpError) return { error: err, internal: false };
  if (err instanceof AuthError) return { error: new HttpError(401, 'UNAUTHENTICATED', err.message), internal: false };
  if (err instanceof PermissionError) {
    if (err.code === 'NOT_FOUND') return { error: new HttpError(404, 'NOT_FOUND', err.message), internal: false };
    if (err.code === 'PERMISSION_DENIED') return { error: new HttpError(403, 'PERMISSION_DENIED', err.message), internal: false };
    return { error: badRequest(err.message), internal: false };
  }
  if (err instanceof HistoryError) {
    return { error: err.code === 'VERSION_NOT_FOUND' ? new HttpError(404, 'NOT_FOUND', err.message) : badRequest(err.message), internal: false };
  }
  if (isStoreError(err, StoreErrorCode.InvalidArgument)) return { error: badRequest(err.message), internal: false };
  if (err instanceof TandemError) {
    if (err.code === 'ERR_LIMIT_EXCEEDED') return { error: new HttpError(413, 'BODY_TOO_LARGE', err.message), internal: false };
    return { error: new HttpError(400, 'INVALID_OPERATION', err.message), internal: false };
  }
  if (err instanceof SessionFailedError || err instanceof StorageReadError) return { error: new HttpError(503, 'STORAGE_UNAVAILABLE', err.message), internal: false };
  return { error: new HttpError(500, 'INTERNAL', 'internal error'), internal: true };
}
