/**
 * ItemList owns the temporary per-character state that Eg-walker builds while it replays concurrent
 * events: a sequence of items (runs of characters inserted by one event), each with its *prepare*
 * state (at the version being prepared) and its *effect* state (in the merged output), kept in chunks
 * that cache how many characters each state shows, plus an index from character id to item.
 *
 * Character ids: [0, PLACEHOLDER) stand for the text at the replay's base version, which every replayed
 * event already sees (the "placeholder"); ids from PLACEHOLDER up are given to characters inserted
 * during the replay. The state lives only as long as the replica's ReplayCache keeps it (between
 * merges while events stay concurrent): steady state keeps no per-character metadata.
 */

/** Length of the placeholder: longer than any text, and exact in doubles. */
export const PLACEHOLDER = 2 ** 50;

/** Prepare state: 0 = not inserted yet at the prepare version, 1 = inserted, n >= 2 = deleted n-1 times. */
export const NOT_INSERTED = 0;
export const INSERTED = 1;

export interface Item {
  id: number;
  len: number;
  /** Character id of the left origin, -1 for the start of the text. */
  originLeft: number;
  /** Character id of the right origin, -1 for the end of the text. */
  originRight: number;
  /** LV of the inserting event, -1 for the placeholder. */
  lv: number;
  prep: number;
  effDeleted: boolean;
  chunk: Chunk;
}

export interface Chunk {
  items: Item[];
  /** Characters whose prepare state is INSERTED. */
  prepLen: number;
  /** Characters not deleted in the effect state. */
  effLen: number;
  index: number;
}

/** The items an id range was split into, sorted by id. */
interface IdRange {
  start: number;
  len: number;
  pieces: Item[];
}

const MAX_CHUNK_ITEMS = 64;

export class ItemList {
  chunks: Chunk[] = [];
  private readonly ranges: IdRange[] = [];
  nextId = PLACEHOLDER;
  /** Characters visible in the prepare state, placeholder included. */
  prepTotal = PLACEHOLDER;
  /** Characters not deleted in the effect state, placeholder included. */
  effTotal = PLACEHOLDER;
  /** Items in the list (the placeholder included). */
  itemCount = 1;

  constructor() {
    const chunk: Chunk = { items: [], prepLen: PLACEHOLDER, effLen: PLACEHOLDER, index: 0 };
    const ph: Item = { id: 0, len: PLACEHOLDER, originLeft: -1, originRight: -1, lv: -1, prep: INSERTED, effDeleted: false, chunk };
    chunk.items.push(ph);
    this.chunks.push(chunk);
    this.ranges.push({ start: 0, len: PLACEHOLDER, pieces: [ph] });
  }

  private rangeOf(id: number): IdRange {
    const rs = this.ranges;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (rs[mid]!.start <= id) lo = mid;
      else hi = mid - 1;
    }
    const r = rs[lo]!;
    if (id < r.start || id >= r.start + r.len) throw new RangeError(`no item holds character id ${id}`);
    return r;
  }

  private pieceIndex(r: IdRange, id: number): number {
    const ps = r.pieces;
    let lo = 0;
    let hi = ps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ps[mid]!.id <= id) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The item holding character `id`. */
  itemOf(id: number): Item {
    const r = this.rangeOf(id);
    return r.pieces[this.pieceIndex(r, id)]!;
  }

  /** Calls fn for each item covering the id range [start, start+len), splitting none. */
  forEachPiece(start: number, len: number, fn: (item: Item) => void): void {
    const r = this.rangeOf(start);
    let i = this.pieceIndex(r, start);
    const end = start + len;
    while (i < r.pieces.length) {
      const it = r.pieces[i]!;
      if (it.id >= end) break;
      fn(it);
      i++;
    }
  }

  /**
   * Splits `item` so that a new item starts at offset `at` (0 < at < len); returns the right part,
   * placed after `item` in the list and in the id index.
   */
  split(item: Item, at: number): Item {
    const right: Item = {
      id: item.id + at,
      len: item.len - at,
      originLeft: item.id + at - 1,
      originRight: item.originRight,
      lv: item.lv,
      prep: item.prep,
      effDeleted: item.effDeleted,
      chunk: item.chunk,
    };
    item.len = at;
    this.itemCount++;
    const r = this.rangeOf(item.id);
    r.pieces.splice(this.pieceIndex(r, item.id) + 1, 0, right);
    const items = item.chunk.items;
    items.splice(items.indexOf(item) + 1, 0, right);
    if (items.length > MAX_CHUNK_ITEMS) this.splitChunk(item.chunk);
    return right;
  }

  /** Registers the id range of an event's inserted characters. */
  addRange(start: number, len: number): void {
    this.ranges.push({ start, len, pieces: [] });
  }

  /** Inserts `item` right after `after` (or at the very start when after is undefined). */
  insertAfter(after: Item | undefined, item: Item): void {
    let chunk: Chunk;
    let idx: number;
    if (after === undefined) {
      chunk = this.chunks[0]!;
      idx = 0;
    } else {
      chunk = after.chunk;
      idx = chunk.items.indexOf(after) + 1;
    }
    item.chunk = chunk;
    chunk.items.splice(idx, 0, item);
    this.itemCount++;
    if (item.prep === INSERTED) {
      chunk.prepLen += item.len;
      this.prepTotal += item.len;
    }
    if (!item.effDeleted) {
      chunk.effLen += item.len;
      this.effTotal += item.len;
    }
    // An event's characters get ascending ids and are inserted in that order, so pieces stay sorted.
    this.rangeOf(item.id).pieces.push(item);
    if (chunk.items.length > MAX_CHUNK_ITEMS) this.splitChunk(chunk);
  }

  private splitChunk(chunk: Chunk): void {
    const half = chunk.items.length >> 1;
    const moved = chunk.items.splice(half);
    const next: Chunk = { items: moved, prepLen: 0, effLen: 0, index: chunk.index + 1 };
    for (const it of moved) {
      it.chunk = next;
      if (it.prep === INSERTED) {
        next.prepLen += it.len;
        chunk.prepLen -= it.len;
      }
      if (!it.effDeleted) {
        next.effLen += it.len;
        chunk.effLen -= it.len;
      }
    }
    this.chunks.splice(chunk.index + 1, 0, next);
    for (let i = chunk.index + 1; i < this.chunks.length; i++) this.chunks[i]!.index = i;
  }

  /** Changes an item's prepare state, keeping the chunk count right. */
  setPrep(item: Item, prep: number): void {
    if ((item.prep === INSERTED) !== (prep === INSERTED)) {
      const delta = prep === INSERTED ? item.len : -item.len;
      item.chunk.prepLen += delta;
      this.prepTotal += delta;
    }
    item.prep = prep;
  }

  markEffDeleted(item: Item): void {
    if (!item.effDeleted) {
      item.effDeleted = true;
      item.chunk.effLen -= item.len;
      this.effTotal -= item.len;
    }
  }

  /**
   * Finds the character at prepare position `pos` (0-based among prepare-visible characters): its item
   * and the offset inside it.
   */
  findPrep(pos: number): { item: Item; offset: number } {
    let remaining = pos;
    for (const chunk of this.chunks) {
      if (remaining >= chunk.prepLen) {
        remaining -= chunk.prepLen;
        continue;
      }
      for (const it of chunk.items) {
        if (it.prep !== INSERTED) continue;
        if (remaining < it.len) return { item: it, offset: remaining };
        remaining -= it.len;
      }
    }
    throw new RangeError(`prepare position ${pos} is past the end`);
  }

  /** Like findPrep, counting the characters not deleted in the effect state. */
  findEff(pos: number): { item: Item; offset: number } {
    let remaining = pos;
    for (const chunk of this.chunks) {
      if (remaining >= chunk.effLen) {
        remaining -= chunk.effLen;
        continue;
      }
      for (const it of chunk.items) {
        if (it.effDeleted) continue;
        if (remaining < it.len) return { item: it, offset: remaining };
        remaining -= it.len;
      }
    }
    throw new RangeError(`effect position ${pos} is past the end`);
  }

  /** Effect position of the first character of `item`: characters before it not deleted in effect. */
  effPosOf(item: Item): number {
    let pos = 0;
    const chunk = item.chunk;
    for (let i = 0; i < chunk.index; i++) pos += this.chunks[i]!.effLen;
    for (const it of chunk.items) {
      if (it === item) return pos;
      if (!it.effDeleted) pos += it.len;
    }
    throw new Error('item not found in its chunk');
  }

  /** The item after `item` in list order, or undefined at the end. */
  next(item: Item): Item | undefined {
    const chunk = item.chunk;
    const i = chunk.items.indexOf(item);
    if (i + 1 < chunk.items.length) return chunk.items[i + 1];
    for (let c = chunk.index + 1; c < this.chunks.length; c++) {
      const first = this.chunks[c]!.items[0];
      if (first !== undefined) return first;
    }
    return undefined;
  }

  /** The first item of the list. */
  first(): Item | undefined {
    for (const c of this.chunks) if (c.items.length > 0) return c.items[0];
    return undefined;
  }

  /**
   * Compares the list positions of two characters (by id): negative when a comes first. -1 as a left
   * origin means "before everything"; callers map a missing right origin to +Infinity themselves.
   */
  comparePositions(a: number, b: number): number {
    if (a === b) return 0;
    const ia = this.itemOf(a);
    const ib = this.itemOf(b);
    if (ia === ib) return a - b;
    if (ia.chunk !== ib.chunk) return ia.chunk.index - ib.chunk.index;
    const items = ia.chunk.items;
    return items.indexOf(ia) - items.indexOf(ib);
  }
}
