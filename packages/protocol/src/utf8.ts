/**
 * UTF-8 byte counting of JavaScript strings without encoding them, so size limits stated in bytes
 * can be checked before any copy is made, in Node and in browsers alike.
 */

/** Bytes taken by the code unit at `i` (a surrogate pair counts 4 on its first unit, 0 on its second). */
function unitBytes(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 4;
  } else if (c >= 0xdc00 && c <= 0xdfff) {
    const b = s.charCodeAt(i - 1);
    if (i > 0 && b >= 0xd800 && b <= 0xdbff) return 0;
  }
  // Other BMP characters, and unpaired surrogates (the encoder writes U+FFFD for those).
  return 3;
}

/** The exact UTF-8 length of `s`. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) n += unitBytes(s, i);
  return n;
}

/**
 * True when `s` takes at most `max` bytes as UTF-8. Stops counting as soon as the answer is known,
 * so a hostile oversized frame costs little.
 */
export function fitsUtf8(s: string, max: number): boolean {
  // Each code unit takes one to three bytes, which often settles the question without a walk.
  if (s.length > max) return false;
  if (s.length * 3 <= max) return true;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    n += unitBytes(s, i);
    if (n > max) return false;
  }
  return true;
}
