/**
 * The steps every incoming frame goes through before its type-specific validator runs, in an order
 * chosen so the cheapest refusal comes first: size (before any decoding), UTF-8, JSON, the object
 * shape with a string `type`, then dispatch on the type through a Map (never an object lookup, so
 * a type of "__proto__" or "toString" finds nothing). Errors are tagged with what they answer.
 */
import { ProtocolError } from './errors.js';
import { describe, fail, isPlainObject, isWellFormed, mustBe, ownValue } from './fields.js';
import { MAX_DOC_ID_LENGTH, MAX_OPERATION_ID_LENGTH, type ResolvedLimits } from './limits.js';
import { ErrorCode } from './messages.js';
import { fitsUtf8 } from './utf8.js';

/** Validates one parsed message of a known type and returns a fresh copy. */
export type MessageValidator<M> = (value: Record<string, unknown>, limits: ResolvedLimits) => M;

/** One validator per member of the union `M`, keyed by its `type`: the compiler checks none is missing. */
export type ValidatorTable<M extends { readonly type: string }> = {
  readonly [T in M['type']]: MessageValidator<Extract<M, { readonly type: T }>>;
};

/** The lookup map for a validator table (a Map, so an input-chosen type never reaches a prototype). */
export function validatorMap<M extends { readonly type: string }>(table: ValidatorTable<M>): ReadonlyMap<string, MessageValidator<M>> {
  // Each entry validates one member of M, so as a whole the values validate M.
  return new Map(Object.entries(table) as [string, MessageValidator<M>][]);
}

/** Longest message type echoed back as an error's `ref`. */
const MAX_REF_TYPE_LENGTH = 64;

// `fatal` turns invalid UTF-8 into an exception instead of silently inserting U+FFFD.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** The frame as text, refused before decoding when it is larger than `maxBytes`. */
function frameText(raw: string | Uint8Array, maxBytes: number): string {
  if (typeof raw === 'string') {
    if (!fitsUtf8(raw, maxBytes)) fail(ErrorCode.MessageTooBig, `message is larger than the limit of ${maxBytes} bytes`);
    return raw;
  }
  if (!(raw instanceof Uint8Array)) return mustBe('message', 'a string or a Uint8Array', raw);
  if (raw.byteLength > maxBytes) {
    fail(ErrorCode.MessageTooBig, `message has ${raw.byteLength} bytes, more than the limit of ${maxBytes}`);
  }
  try {
    return utf8Decoder.decode(raw);
  } catch {
    return fail(ErrorCode.BadMessage, 'message is not valid UTF-8');
  }
}

/** Size check, decoding and JSON.parse: the untrusted value a frame holds. */
export function decodeFrame(raw: string | Uint8Array, maxBytes: number): unknown {
  const text = frameText(raw, maxBytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return fail(ErrorCode.BadMessage, `message is not valid JSON: ${why.length > 120 ? `${why.slice(0, 117)}...` : why}`);
  }
}

/** A string field of the raw message, if it is a plausible id worth echoing in an error. */
function echoable(obj: Record<string, unknown>, key: string, max: number): string | undefined {
  const v = Object.getOwnPropertyDescriptor(obj, key)?.value;
  return typeof v === 'string' && v.length > 0 && v.length <= max && isWellFormed(v) ? v : undefined;
}

/** `e` with the message's operationId (or type) as `ref` and its docId, when it named valid ones. */
function withContext(e: ProtocolError, obj: Record<string, unknown>, type: string | undefined): ProtocolError {
  const ref = e.ref ?? echoable(obj, 'operationId', MAX_OPERATION_ID_LENGTH) ?? type;
  const docId = e.docId ?? echoable(obj, 'docId', MAX_DOC_ID_LENGTH);
  if (ref === e.ref && docId === e.docId) return e;
  const context: { ref?: string; docId?: string } = {};
  if (ref !== undefined) context.ref = ref;
  if (docId !== undefined) context.docId = docId;
  return new ProtocolError(e.code, e.message, context);
}

/**
 * Validates an already parsed value as one message of the union `validators` describes.
 * @throws ProtocolError BAD_MESSAGE for a non-object or a missing / non-string `type`, UNKNOWN_TYPE
 *   for a type not in `validators`, and whatever the type's validator throws.
 */
export function validateWith<M>(value: unknown, limits: ResolvedLimits, validators: ReadonlyMap<string, MessageValidator<M>>): M {
  if (!isPlainObject(value)) return mustBe('message', 'a JSON object with a string "type"', value);
  const type = ownValue(value, 'type', 'message');
  if (typeof type !== 'string') return mustBe('message.type', 'a string', type);
  const validator = validators.get(type);
  const refType = type.length > 0 && type.length <= MAX_REF_TYPE_LENGTH && isWellFormed(type) ? type : undefined;
  if (validator === undefined) {
    const context = refType === undefined ? {} : { ref: refType };
    throw new ProtocolError(ErrorCode.UnknownType, `unknown message type ${describe(type)}`, context);
  }
  try {
    return validator(value, limits);
  } catch (e) {
    throw e instanceof ProtocolError ? withContext(e, value, refType) : e;
  }
}

/** decodeFrame then validateWith: the whole edge check for one frame. */
export function parseFrame<M>(raw: string | Uint8Array, limits: ResolvedLimits, validators: ReadonlyMap<string, MessageValidator<M>>): M {
  return validateWith(decodeFrame(raw, limits.maxMessageBytes), limits, validators);
}
