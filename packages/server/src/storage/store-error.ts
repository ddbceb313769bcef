/**
 * Errors of the storage layer that are not about event content (those are the core's
 * TandemError codes). Each carries a stable code so the server can map it to a reply.
 */

export const StoreErrorCode = {
  /** An argument cannot be stored: a bad id, a negative version, an unknown level. */
  InvalidArgument: 'ERR_INVALID_ARGUMENT',
  /** A unique value (a share-link token) is already taken. */
  Duplicate: 'ERR_DUPLICATE',
  /** The store was closed. */
  Closed: 'ERR_STORE_CLOSED',
  /** The storage URL names no supported backend or is malformed. */
  UnsupportedUrl: 'ERR_UNSUPPORTED_STORE_URL',
  /** The database holds data this code cannot read (a newer schema, a corrupt row). */
  Corrupt: 'ERR_STORE_CORRUPT',
} as const;

export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}
