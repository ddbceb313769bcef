/**
 * Rope owns the materialized text of one document text: a list of string chunks with a cursor cache,
 * so an edit costs a chunk copy (bounded) instead of a copy of the whole document, and typing at one
 * spot finds its chunk at once.
 */

const MAX_CHUNK = 1024;

export class Rope {
  private chunks: string[] = [];
  private total = 0;
  /** Index and start offset of the chunk the last edit touched. */
  private cacheIdx = 0;
  private cacheStart = 0;
  /** The joined text, kept until the next edit. */
  private flat: string | undefined = '';

  constructor(text = '') {
    if (text.length > 0) this.reset(text);
  }

  get length(): number {
    return this.total;
  }

  reset(text: string): void {
    this.chunks = [];
    for (let i = 0; i < text.length; i += MAX_CHUNK) this.chunks.push(text.slice(i, i + MAX_CHUNK));
    this.total = text.length;
    this.cacheIdx = 0;
    this.cacheStart = 0;
    this.flat = text;
  }

  toString(): string {
    if (this.flat === undefined) {
      this.flat = this.chunks.join('');
      if (this.chunks.length > 1) this.reset(this.flat);
    }
    return this.flat;
  }

  /** UTF-16 code unit at `pos`, or NaN outside the text. */
  charCodeAt(pos: number): number {
    if (pos < 0 || pos >= this.total) return NaN;
    const idx = this.locate(pos);
    return this.chunks[idx]!.charCodeAt(pos - this.cacheStart);
  }

  slice(start: number, end: number): string {
    if (this.flat !== undefined) return this.flat.slice(start, end);
    let out = '';
    let idx = this.locate(start);
    let offset = start - this.cacheStart;
    let remaining = end - start;
    while (remaining > 0 && idx < this.chunks.length) {
      const chunk = this.chunks[idx]!;
      const part = chunk.slice(offset, offset + remaining);
      out += part;
      remaining -= part.length;
      offset = 0;
      idx++;
    }
    return out;
  }

  /**
   * Finds the chunk holding position `pos` (for pos == length: the last chunk) and leaves its index
   * and start in the cache.
   */
  private locate(pos: number): number {
    if (this.chunks.length === 0) {
      this.chunks.push('');
      this.cacheIdx = 0;
      this.cacheStart = 0;
      return 0;
    }
    let idx = Math.min(this.cacheIdx, this.chunks.length - 1);
    let start = idx === this.cacheIdx ? this.cacheStart : 0;
    if (idx !== this.cacheIdx) idx = 0;
    if (pos < start) {
      // Walk back; cheaper than from the start when edits stay local.
      while (pos < start && idx > 0) {
        idx--;
        start -= this.chunks[idx]!.length;
      }
    } else {
      while (idx < this.chunks.length - 1 && pos >= start + this.chunks[idx]!.length) {
        start += this.chunks[idx]!.length;
        idx++;
      }
    }
    this.cacheIdx = idx;
    this.cacheStart = start;
    return idx;
  }

  insert(pos: number, text: string): void {
    if (text.length === 0) return;
    const idx = this.locate(pos);
    const chunk = this.chunks[idx]!;
    const off = pos - this.cacheStart;
    const next = chunk.slice(0, off) + text + chunk.slice(off);
    if (next.length <= MAX_CHUNK) {
      this.chunks[idx] = next;
    } else {
      const parts: string[] = [];
      for (let i = 0; i < next.length; i += MAX_CHUNK / 2) parts.push(next.slice(i, i + MAX_CHUNK / 2));
      this.chunks.splice(idx, 1, ...parts);
    }
    this.total += text.length;
    this.flat = undefined;
  }

  delete(pos: number, len: number): void {
    let remaining = len;
    while (remaining > 0) {
      const idx = this.locate(pos);
      const chunk = this.chunks[idx]!;
      const off = pos - this.cacheStart;
      const take = Math.min(remaining, chunk.length - off);
      if (take <= 0) throw new RangeError(`rope delete past the end: pos ${pos}, len ${len}, length ${this.total}`);
      const next = chunk.slice(0, off) + chunk.slice(off + take);
      if (next.length === 0 && this.chunks.length > 1) {
        this.chunks.splice(idx, 1);
        if (this.cacheIdx >= this.chunks.length) {
          this.cacheIdx = 0;
          this.cacheStart = 0;
        }
      } else {
        this.chunks[idx] = next;
      }
      remaining -= take;
      this.total -= take;
    }
    this.flat = undefined;
  }
}
