/**
 * Typed errors of the sync core. Every error carries a stable `code` (safe to match on, safe to send
 * over the wire) and a message that names the offending values.
 */

/** Stable error codes of the core. Never renamed once published: clients match on them. */
export const CoreErrorCode = {
  /** A text operation is malformed: bad component, zero or negative count, non-string insert. */
  InvalidOp: 'ERR_INVALID_OP',
  /** A text operation's base length does not match the document it is applied to. */
  BaseLengthMismatch: 'ERR_BASE_LENGTH_MISMATCH',
  /** An operation or position would split a UTF-16 surrogate pair. */
  SplitSurrogate: 'ERR_SPLIT_SURROGATE',
  /** An event is malformed: bad id, bad parents, bad change. */
  InvalidEvent: 'ERR_INVALID_EVENT',
  /** An event names parents this replica does not have (and buffering was not requested). */
  MissingParents: 'ERR_MISSING_PARENTS',
  /** An event id is already stored with a different payload. */
  ConflictingEvent: 'ERR_CONFLICTING_EVENT',
  /** An agent's events are not consecutive: a gap or an agent editing concurrently with itself. */
  SeqOutOfOrder: 'ERR_SEQ_OUT_OF_ORDER',
  /** Encoded bytes or JSON are malformed, truncated or hostile. */
  Decode: 'ERR_DECODE',
  /** A configured limit (pending buffer, sizes) was exceeded. */
  LimitExceeded: 'ERR_LIMIT_EXCEEDED',
  /** A version names events this replica does not know. */
  UnknownVersion: 'ERR_UNKNOWN_VERSION',
  /** An operation that needs an empty replica (loading an encoded document into it) met a non-empty one. */
  NotEmpty: 'ERR_NOT_EMPTY',
} as const;

export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];

/** The one error class thrown by the core for bad input. State is left untouched when it is thrown. */
export class TandemError extends Error {
  readonly code: CoreErrorCode;
  constructor(code: CoreErrorCode, message: string) {
    super(message);
    this.name = 'TandemError';
    this.code = code;
  }
}

/** True when `e` is a TandemError, optionally with the given code. */
export function isTandemError(e: unknown, code?: CoreErrorCode): e is TandemError {
  return e instanceof TandemError && (code === undefined || e.code === code);
}
