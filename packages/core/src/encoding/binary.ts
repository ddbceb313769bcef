/**
 * The public face of the binary storage form: whole documents (events plus an optional snapshot)
 * and event batches. The format itself is described in binary-format.ts.
 */
import type { Event } from '../event.js';
import { decodeFile } from './binary-decode.js';
import { encodeFile } from './binary-encode.js';
import { FileKind, type DecodeLimits, type EncodedDocument, type EncodeOptions } from './binary-format.js';

export type { DecodeLimits, DocumentSnapshot, EncodedDocument, EncodeOptions } from './binary-format.js';

/**
 * Encodes a whole document: every event from each agent's seq 0, in topological order, and the
 * snapshot when given.
 * @throws TandemError ERR_INVALID_EVENT when the events cannot be represented exactly (an agent's
 * seqs not consecutive, a parent missing or after its child, unpaired surrogates, non-JSON values);
 * ERR_LIMIT_EXCEEDED for the (unrealistic) history that would compress beyond the format's caps.
 */
export function encodeDocument(doc: EncodedDocument, options?: EncodeOptions): Uint8Array {
  return encodeFile(doc.events, FileKind.Document, doc.snapshot, options);
}

/**
 * Decodes and fully validates a document encoding. Bytes from {@link encodeEvents} are accepted too
 * when they hold a complete history (every agent from seq 0); the result then has no snapshot.
 * @throws TandemError ERR_DECODE, naming the problem and its byte offset; never anything else.
 */
export function decodeDocument(bytes: Uint8Array, limits?: DecodeLimits): EncodedDocument {
  return decodeFile(bytes, true, limits);
}

/**
 * Encodes a batch of events in topological order (sync batches, chunks of an event log). The batch
 * may start mid-history: parents outside it are stored by id, and must precede the agent's first
 * event in the batch. Throws as {@link encodeDocument}.
 */
export function encodeEvents(events: readonly Event[], options?: EncodeOptions): Uint8Array {
  return encodeFile(events, FileKind.Events, undefined, options);
}

/**
 * Decodes and fully validates an events encoding. Bytes from {@link encodeDocument} are accepted too:
 * their snapshot is validated, then left out.
 * @throws TandemError ERR_DECODE, naming the problem and its byte offset; never anything else.
 */
export function decodeEvents(bytes: Uint8Array, limits?: DecodeLimits): Event[] {
  return decodeFile(bytes, false, limits).events;
}
