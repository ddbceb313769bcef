/**
 * Random identifiers: agent ids, tab ids, operation ids. They come from the platform's
 * cryptographic generator (present in browsers and Node 20 as `crypto.getRandomValues`), because an
 * agent id that collided with another replica's would make two writers share one event sequence.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A random string of `length` URL-safe characters (6 bits each; 16 characters = 96 bits). */
export function randomId(length = 16): string {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += ALPHABET[b & 63];
  return out;
}
