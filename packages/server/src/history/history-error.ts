/**
 * The error of a history request that cannot be answered as asked: a version the document does
 * not have, or a range or name that can never be valid. The REST layer picks the HTTP status from
 * the code (404, 400).
 */
export type HistoryErrorCode = 'VERSION_NOT_FOUND' | 'BAD_REQUEST';

export class HistoryError extends Error {
  readonly code: HistoryErrorCode;
  constructor(code: HistoryErrorCode, message: string) {
    super(message);
    this.name = 'HistoryError';
    this.code = code;
  }
}
