/**
 * ProtocolError: the one error the message parsers throw. It carries the stable wire `code` the
 * server puts in its `error` reply, plus what the reply should point at (`ref`, `docId`), so the
 * server can answer a bad frame without knowing anything about why it was bad.
 */
import type { ErrorCode, ErrorMessage } from './messages.js';

export interface ProtocolErrorContext {
  /** The operationId or message type the error answers. */
  readonly ref?: string;
  /** The document the failing message was about, when it named a valid one. */
  readonly docId?: string;
}

export class ProtocolError extends Error {
  readonly code: ErrorCode;
  readonly ref?: string;
  readonly docId?: string;

  constructor(code: ErrorCode, message: string, context: ProtocolErrorContext = {}) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    // Assigned only when present so the error's own keys mirror the `error` message it becomes.
    if (context.ref !== undefined) this.ref = context.ref;
    if (context.docId !== undefined) this.docId = context.docId;
  }
}

/** True when `e` is a ProtocolError, optionally with the given code. */
export function isProtocolError(e: unknown, code?: ErrorCode): e is ProtocolError {
  return e instanceof ProtocolError && (code === undefined || e.code === code);
}

/** The `error` message that reports `e` to the client that sent the bad frame. */
export function toErrorMessage(e: ProtocolError): ErrorMessage {
  const out: { -readonly [K in keyof ErrorMessage]: ErrorMessage[K] } = { type: 'error', code: e.code, message: e.message };
  if (e.docId !== undefined) out.docId = e.docId;
  if (e.ref !== undefined) out.ref = e.ref;
  return out;
}
