/**
 * Position units. Trace positions and delete lengths count Unicode code points; Tandem, Yjs and
 * Automerge (in JavaScript) count UTF-16 code units. The two agree while the text holds no character
 * outside the BMP; otherwise patches are rewritten here, against the text they apply to.
 */
import type { Patch } from './trace-format.js';

/** The UTF-16 offset of the code point at index `codePoints`, counting from `from` in `text`. */
function advanceCodePoints(text: string, from: number, codePoints: number, what: string): number {
  let units = from;
  for (let i = 0; i < codePoints; i++) {
    if (units >= text.length) throw new RangeError(`${what} runs past the end of the text (length ${text.length} UTF-16 units)`);
    const unit = text.charCodeAt(units);
    const high = unit >= 0xd800 && unit <= 0xdbff;
    units += high && units + 1 < text.length ? 2 : 1;
  }
  return units;
}

/** Rewrites one code-point patch into UTF-16 units, given the text just before the patch. */
export function patchToUtf16(text: string, [pos, del, ins]: Patch): Patch {
  const start = advanceCodePoints(text, 0, pos, `position ${pos}`);
  const end = advanceCodePoints(text, start, del, `delete of ${del} at ${pos}`);
  return [start, end - start, ins];
}

/** Applies a UTF-16 patch to a plain string. */
export function applyPatchToString(text: string, [pos, del, ins]: Patch): string {
  return text.slice(0, pos) + ins + text.slice(pos + del);
}

/**
 * Rewrites a sequence of patches, each relative to the result of the previous one and the first to
 * `startText`, into UTF-16 units. Costs a pass over the text per patch: use only when needed.
 */
export function patchesToUtf16(startText: string, patches: readonly Patch[]): Patch[] {
  let text = startText;
  return patches.map((patch) => {
    const converted = patchToUtf16(text, patch);
    text = applyPatchToString(text, converted);
    return converted;
  });
}
