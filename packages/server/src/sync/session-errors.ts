/**
 * The errors a document session rejects with besides the core's (bad events) and permissions:
 * storage failures, told apart by whether the session survives them.
 */

/** A commit failure: the caller reports STORAGE_UNAVAILABLE; the session is no longer usable. */
export class SessionFailedError extends Error {}

/** A read from storage failed: the caller reports STORAGE_UNAVAILABLE; the session stays usable. */
export class StorageReadError extends Error {}
