/**
 * The Eg-walker replay (Gentle & Kleppmann, EuroSys 2025) for one text of a document: given the events
 * after a critical base version that the replica already has (`old`) and the events it is merging
 * (`fresh`), it rebuilds just enough per-character state to transform each fresh event's operation
 * into an operation on the current text.
 *
 * Walk the events in LV order (a topological order). Before each event, move the *prepare* version to
 * the event's parents by retreating and advancing the events in between; apply the event in prepare
 * space (positions as its author saw them); read off where that lands in *effect* space (the merged
 * text). Concurrent inserts at one spot are ordered by the YjsMod/Fugue rule (left origin, right origin,
 * then agent), so runs typed concurrently never interleave.
 */
import { TandemError, CoreErrorCode } from '../errors.js';
import { advanceFrontier, sameFrontier } from '../event-graph.js';
import type { EventGraph, LvFrontier } from '../event-graph.js';
import type { OpLog, Patch } from '../op-log.js';
import { ItemList, INSERTED, NOT_INSERTED, PLACEHOLDER } from './item-list.js';
import type { Item } from './item-list.js';

/** Sides of a graph diff (see EventGraph.diff): the prepare version is side a, the target side b. */
const SIDE_A = 1;
const SIDE_B = 2;

/**
 * The replay state of one text from a critical base version. It can outlive one merge (see
 * ReplayCache): as long as every later event descends from `base`, replaying more events in LV order
 * continues it exactly as a replay from scratch over the same events would.
 */
export class TextReplay {
  private readonly list = new ItemList();
  /** Per replayed event: its inserted id ranges and the id ranges it deleted, as flat [start, len] pairs. */
  private readonly inserted = new Map<number, number[]>();
  private readonly deleted = new Map<number, number[]>();
  private prepFrontier: LvFrontier;
  /** Which events after the base are in the prepare version (1) or not (0), indexed by LV - base - 1. */
  private prepIn = new Uint8Array(64);
  /** The version the effect state shows: every event replayed so far. */
  private effFrontier: LvFrontier;
  /** Length of the text at the base version, known once the old events have been replayed. */
  private baseLength = 0;

  /**
   * @param name the text replayed
   * @param base the critical version the replay starts from (an LV, -1 for the root)
   */
  constructor(
    readonly name: string,
    readonly base: number,
  ) {
    this.prepFrontier = base < 0 ? [] : [base];
    this.effFrontier = this.prepFrontier;
  }

  /** Items in the state: a measure of its memory and of the cost of each step. */
  get itemCount(): number {
    return this.list.itemCount;
  }

  /** Replays events [start, end) that are already part of the current text (no output). */
  replayOld(graph: EventGraph, log: OpLog, start: number, end: number): void {
    for (let lv = start; lv < end; lv++) this.step(lv, graph, log, this.name, false);
  }

  /**
   * Called once, after the old events of a new replay: the effect state now shows the current text,
   * which fixes the length of the text at the base version.
   */
  setCurrentLength(length: number): void {
    this.baseLength = length - (this.list.effTotal - PLACEHOLDER);
  }

  /**
   * Replays one new event and returns the patches that apply it to the current text (undefined when
   * it does not edit this text). Throws ERR_BASE_LENGTH_MISMATCH when its op reaches past the end of
   * the text at its parents; the state is then unusable.
   */
  replayFresh(graph: EventGraph, log: OpLog, lv: number): Patch[] | undefined {
    return this.step(lv, graph, log, this.name, true);
  }

  private step(lv: number, graph: EventGraph, log: OpLog, name: string, emit: boolean): Patch[] | undefined {
    const parents = graph.parentsOf(lv);
    // An event made on everything replayed so far (typing between merges) needs no prepare state: its
    // positions are effect positions, and no concurrent insert can sit where it inserts. The prepare
    // version is left where it is (without this event), which spares moving it there and back.
    const onEffect = sameFrontier(parents, this.effFrontier);
    this.effFrontier = onEffect ? [lv] : advanceFrontier(this.effFrontier, lv, parents);
    // Events of other texts and maps change nothing here: the prepare version need not move for them.
    if (log.textNameOf(lv) !== name) return undefined;
    if (!onEffect) {
      if (!sameFrontier(parents, this.prepFrontier)) this.movePrepare(graph, parents);
      this.prepFrontier = [lv];
      this.setPrepIn(lv, 1);
    }
    const patches: Patch[] | undefined = emit ? [] : undefined;
    let lengthAtParents = (onEffect ? this.list.effTotal : this.list.prepTotal) - PLACEHOLDER + this.baseLength;
    log.forEachPatch(lv, (pos, del, ins) => {
      if (emit && pos + del > lengthAtParents) {
        const id = graph.lvToId(lv);
        throw new TandemError(
          CoreErrorCode.BaseLengthMismatch,
          `event ${id.agent}:${id.seq} edits text "${name}" at ${pos}..${pos + del} but the text at its parents has length ${lengthAtParents}`,
        );
      }
      if (onEffect) {
        if (del > 0) this.deleteOnEffect(lv, pos, del, patches);
        if (ins.length > 0) this.insertOnEffect(lv, pos, ins, patches);
      } else {
        if (del > 0) this.deleteAt(lv, pos, del, patches);
        if (ins.length > 0) this.insertAt(lv, pos, ins, graph, patches);
      }
      lengthAtParents += ins.length - del;
    });
    return patches;
  }

  /** Retreats the events in the prepare version but not in `parents`, advances the reverse. */
  private movePrepare(graph: EventGraph, parents: LvFrontier): void {
    const { aOnly, bOnly } = graph.diff(this.prepFrontier, parents, this.knownSides);
    for (let i = aOnly.length - 1; i >= 0; i--) {
      const s = aOnly[i]!;
      for (let lv = s.end - 1; lv >= s.start; lv--) {
        this.retreat(lv);
        this.setPrepIn(lv, 0);
      }
    }
    for (const s of bOnly) {
      for (let lv = s.start; lv < s.end; lv++) {
        this.advance(lv);
        this.setPrepIn(lv, 1);
      }
    }
  }

  /** For the graph diff: the base's history is in every version replayed; the prepare version is tracked. */
  private readonly knownSides = (lv: number): number => {
    if (lv <= this.base) return SIDE_A | SIDE_B;
    const i = lv - this.base - 1;
    return i < this.prepIn.length && this.prepIn[i] === 1 ? SIDE_A : 0;
  };

  private setPrepIn(lv: number, value: number): void {
    const i = lv - this.base - 1;
    if (i >= this.prepIn.length) {
      let size = this.prepIn.length * 2;
      while (size <= i) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.prepIn);
      this.prepIn = grown;
    }
    this.prepIn[i] = value;
  }

  private retreat(lv: number): void {
    const list = this.list;
    const del = this.deleted.get(lv);
    if (del !== undefined) {
      for (let i = 0; i < del.length; i += 2) list.forEachPiece(del[i]!, del[i + 1]!, (it) => list.setPrep(it, it.prep - 1));
    }
    const ins = this.inserted.get(lv);
    if (ins !== undefined) {
      for (let i = 0; i < ins.length; i += 2) list.forEachPiece(ins[i]!, ins[i + 1]!, (it) => list.setPrep(it, NOT_INSERTED));
    }
  }

  private advance(lv: number): void {
    const list = this.list;
    const ins = this.inserted.get(lv);
    if (ins !== undefined) {
      for (let i = 0; i < ins.length; i += 2) list.forEachPiece(ins[i]!, ins[i + 1]!, (it) => list.setPrep(it, INSERTED));
    }
    const del = this.deleted.get(lv);
    if (del !== undefined) {
      for (let i = 0; i < del.length; i += 2) list.forEachPiece(del[i]!, del[i + 1]!, (it) => list.setPrep(it, it.prep + 1));
    }
  }

  private deleteAt(lv: number, pos: number, len: number, patches: Patch[] | undefined): void {
    const list = this.list;
    let targets = this.deleted.get(lv);
    if (targets === undefined) {
      targets = [];
      this.deleted.set(lv, targets);
    }
    const found = list.findPrep(pos);
    let item: Item | undefined = found.offset > 0 ? list.split(found.item, found.offset) : found.item;
    let remaining = len;
    while (remaining > 0) {
      if (item === undefined) throw new RangeError(`delete of ${len} at ${pos} runs past the end`);
      if (item.prep !== INSERTED) {
        item = list.next(item);
        continue;
      }
      if (item.len > remaining) list.split(item, remaining);
      targets.push(item.id, item.len);
      list.setPrep(item, item.prep + 1);
      if (!item.effDeleted) {
        if (patches !== undefined) {
          const at = list.effPosOf(item);
          const last = patches[patches.length - 1];
          if (last !== undefined && last[0] === at && last[2] === '') patches[patches.length - 1] = [at, last[1] + item.len, ''];
          else patches.push([at, item.len, '']);
        }
        list.markEffDeleted(item);
      }
      remaining -= item.len;
      item = list.next(item);
    }
  }

  /** A delete by an event made on the effect version: its characters are those visible there. */
  private deleteOnEffect(lv: number, pos: number, len: number, patches: Patch[] | undefined): void {
    const list = this.list;
    const targets = this.targetsOf(this.deleted, lv);
    const found = list.findEff(pos);
    let item: Item | undefined = found.offset > 0 ? list.split(found.item, found.offset) : found.item;
    let remaining = len;
    while (remaining > 0) {
      if (item === undefined) throw new RangeError(`delete of ${len} at ${pos} runs past the end`);
      if (item.effDeleted) {
        item = list.next(item);
        continue;
      }
      if (item.len > remaining) list.split(item, remaining);
      targets.push(item.id, item.len);
      // The prepare version does not hold this event: its prepare count is raised when it is advanced.
      list.markEffDeleted(item);
      remaining -= item.len;
      item = list.next(item);
    }
    if (patches !== undefined) patches.push([pos, len, '']);
  }

  /** An insert by an event made on the effect version: right after its left neighbour, no contest. */
  private insertOnEffect(lv: number, pos: number, text: string, patches: Patch[] | undefined): void {
    const list = this.list;
    const id = list.nextId;
    list.nextId += text.length;
    list.addRange(id, text.length);
    this.targetsOf(this.inserted, lv).push(id, text.length);
    let left: Item | undefined;
    let originLeft = -1;
    let right: Item | undefined;
    if (pos > 0) {
      const found = list.findEff(pos - 1);
      left = found.item;
      originLeft = left.id + found.offset;
      right = found.offset < left.len - 1 ? list.split(left, found.offset + 1) : list.next(left);
    } else {
      right = list.first();
    }
    // Every item in the list exists at this event's parents, so the next one is the right origin.
    const item: Item = {
      id,
      len: text.length,
      originLeft,
      originRight: right === undefined ? -1 : right.id,
      lv,
      prep: NOT_INSERTED,
      effDeleted: false,
      chunk: list.chunks[0]!,
    };
    list.insertAfter(left, item);
    if (patches !== undefined) patches.push([pos, 0, text]);
  }

  private targetsOf(map: Map<number, number[]>, lv: number): number[] {
    let targets = map.get(lv);
    if (targets === undefined) {
      targets = [];
      map.set(lv, targets);
    }
    return targets;
  }

  private insertAt(lv: number, pos: number, text: string, graph: EventGraph, patches: Patch[] | undefined): void {
    const list = this.list;
    const id = list.nextId;
    list.nextId += text.length;
    list.addRange(id, text.length);
    let ranges = this.inserted.get(lv);
    if (ranges === undefined) {
      ranges = [];
      this.inserted.set(lv, ranges);
    }
    ranges.push(id, text.length);

    let left: Item | undefined;
    let originLeft = -1;
    let rightItem: Item | undefined;
    if (pos > 0) {
      const found = list.findPrep(pos - 1);
      left = found.item;
      originLeft = left.id + found.offset;
      if (found.offset < left.len - 1) rightItem = list.split(left, found.offset + 1);
    }
    if (rightItem === undefined) {
      // The right origin is the next character that exists at the prepare version (even if deleted).
      let cur = left === undefined ? list.first() : list.next(left);
      while (cur !== undefined && cur.prep === NOT_INSERTED) cur = list.next(cur);
      rightItem = cur;
    }
    const originRight = rightItem === undefined ? -1 : rightItem.id;
    const item: Item = {
      id,
      len: text.length,
      originLeft,
      originRight,
      lv,
      prep: INSERTED,
      effDeleted: false,
      chunk: list.chunks[0]!,
    };
    const after = this.integrate(item, left, rightItem, graph);
    list.insertAfter(after, item);
    if (patches !== undefined) patches.push([list.effPosOf(item), 0, text]);
  }

  /**
   * Chooses where among concurrent inserts between `left` and `rightItem` the new item goes (YjsMod):
   * returns the item it goes after (undefined = the very start).
   */
  private integrate(item: Item, left: Item | undefined, rightItem: Item | undefined, graph: EventGraph): Item | undefined {
    const list = this.list;
    let destAfter = left;
    let prev = left;
    let cur = left === undefined ? list.first() : list.next(left);
    let scanning = false;
    for (;;) {
      if (!scanning) destAfter = prev;
      if (cur === undefined || cur === rightItem) break;
      const cmpLeft = this.compareLeft(cur.originLeft, item.originLeft);
      if (cmpLeft < 0) break;
      if (cmpLeft === 0) {
        const cmpRight = this.compareRight(cur.originRight, item.originRight);
        if (cmpRight < 0) {
          scanning = true;
        } else if (cmpRight === 0) {
          if (compareAuthors(graph, item.lv, cur.lv) < 0) break;
          scanning = false;
        } else {
          scanning = false;
        }
      }
      prev = cur;
      cur = list.next(cur);
    }
    return destAfter;
  }

  /** Orders two left origins by list position; -1 (the start) comes first. */
  private compareLeft(a: number, b: number): number {
    if (a === b) return 0;
    if (a === -1) return -1;
    if (b === -1) return 1;
    return this.list.comparePositions(a, b);
  }

  /** Orders two right origins by list position; -1 (the end) comes last. */
  private compareRight(a: number, b: number): number {
    if (a === b) return 0;
    if (a === -1) return 1;
    if (b === -1) return -1;
    return this.list.comparePositions(a, b);
  }
}

/** Orders the authors of two concurrent inserts: by agent id, then seq. */
function compareAuthors(graph: EventGraph, a: number, b: number): number {
  const agentA = graph.agentName(graph.agentOf(a));
  const agentB = graph.agentName(graph.agentOf(b));
  if (agentA !== agentB) return agentA < agentB ? -1 : 1;
  return graph.seqOf(a) - graph.seqOf(b);
}
