/**
 * Base64 (RFC 4648, standard alphabet, with padding) for binary payloads inside JSON frames: the
 * encoded document snapshot of `session_joined.snapshot`. Plain code with no Node or DOM API, so the
 * server and the client SDK (in any browser) share one implementation and one notion of "valid".
 */
import { ErrorCode } from './messages.js';
import { fail, mustBe, type Check } from './fields.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Character code → 6-bit value, or -1 for characters outside the alphabet. */
function decodeTable(): Int16Array {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
}
const DECODE = decodeTable();

/** The base64 text of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  // Built in chunks: one string per byte triple would make millions of tiny strings.
  const CHUNK = 3 * 8192;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(bytes.length, start + CHUNK);
    let s = '';
    let i = start;
    for (; i + 2 < end; i += 3) {
      const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
      s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
    }
    if (i < end) {
      const n = (bytes[i]! << 16) | (i + 1 < end ? bytes[i + 1]! << 8 : 0);
      s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + (i + 1 < end ? ALPHABET[(n >> 6) & 63]! : '=') + '=';
    }
    parts.push(s);
  }
  return parts.join('');
}

/** Why `text` is not valid base64, or undefined when it is. */
function base64Problem(text: string): string | undefined {
  if (text.length % 4 !== 0) return `its length (${text.length}) is not a multiple of 4`;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const body = text.length - pad;
  for (let i = 0; i < body; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || DECODE[c]! < 0) return `character ${i} (${JSON.stringify(text[i])}) is not in the base64 alphabet`;
  }
  return undefined;
}

/**
 * The bytes of base64 `text`.
 * @throws TypeError naming the first bad character or the bad length.
 */
export function decodeBase64(text: string): Uint8Array {
  const problem = base64Problem(text);
  if (problem !== undefined) throw new TypeError(`not base64: ${problem}`);
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const n = (DECODE[text.charCodeAt(i)]! << 18) | (DECODE[text.charCodeAt(i + 1)]! << 12) | (Math.max(0, DECODE[text.charCodeAt(i + 2)] ?? 0) << 6) | Math.max(0, DECODE[text.charCodeAt(i + 3)] ?? 0);
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** A field holding base64 text (its size is bounded by the frame's). */
export const base64Text: Check<string> = (v, path) => {
  if (typeof v !== 'string') return mustBe(path, 'a base64 string', v);
  const problem = base64Problem(v);
  if (problem !== undefined) return fail(ErrorCode.BadMessage, `${path} must be base64: ${problem}`);
  return v;
};
