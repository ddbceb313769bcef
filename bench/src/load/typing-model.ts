/**
 * The random edits a load client makes: typing as a person does, at a caret that mostly moves forward
 * (short inserts, some corrections, an occasional jump elsewhere). A correction replaces the 1–5
 * characters before the caret with one new character, so every edit inserts something: Yjs numbers
 * only insertions (its clock), and the benchmark tells which edits a Yjs client has applied by that
 * clock. The document is kept near a bounded length so long runs measure the same thing as short
 * ones: past `softMaxLength`, corrections outnumber inserts. Positions count UTF-16 code
 * units; only ASCII is typed.
 */
import type { Prng } from './prng.js';

/** One edit: delete `del` characters at `pos`, then insert `ins` there. */
export interface TextEdit {
  readonly pos: number;
  readonly del: number;
  readonly ins: string;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz     etaoinshrdlu.,';

export class TypingModel {
  private caret = 0;

  constructor(
    private readonly random: Prng,
    private readonly softMaxLength = 8_000,
  ) {}

  /** The next edit on a text of `length` characters (the caret is clamped to it first). */
  next(length: number): TextEdit {
    const r = this.random;
    if (this.caret > length || r.next() < 0.03) this.caret = r.int(length + 1);
    const deleteChance = length > this.softMaxLength ? 0.6 : 0.1;
    if (length > 0 && r.next() < deleteChance) {
      if (this.caret === 0) this.caret = 1 + r.int(length);
      const del = Math.min(this.caret, 1 + (r.next() < 0.5 ? r.int(5) : 0));
      this.caret -= del;
      const pos = this.caret;
      this.caret += 1;
      return { pos, del, ins: ALPHABET[r.int(ALPHABET.length)]! };
    }
    const n = 1 + (r.next() < 0.3 ? r.int(3) : 0);
    let ins = '';
    for (let i = 0; i < n; i++) ins += ALPHABET[r.int(ALPHABET.length)];
    const pos = this.caret;
    this.caret += n;
    return { pos, del: 0, ins };
  }
}
