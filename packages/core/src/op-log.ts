/**
 * OpLog owns the change carried by each event, indexed by LV, in a compact columnar form. A text
 * change is kept as positional patches (`[pos, del, ins]`, applied in order against the text at the
 * event's parents); almost every keystroke is one patch, stored in three flat columns. Map changes
 * and multi-patch text changes are the rare case and live in side tables.
 */
import type { Change, JsonValue } from './event.js';
import type { OpComponent, TextOp } from './text-op.js';
import { opFromPatches, patchesFromOp } from './text-op.js';

export type Patch = readonly [pos: number, del: number, ins: string];

/** Kind of change, per event. */
const KIND_TEXT = 0;
const KIND_MAP = 1;

interface MapEntry {
  readonly key: string;
  /** undefined = delete. */
  readonly value: JsonValue | undefined;
}

export class OpLog {
  /** Per LV: index into `targets` (kind + name). */
  private target: number[] = [];
  private readonly targets: { kind: number; name: string }[] = [];
  private readonly targetIndex = new Map<string, number>();
  /** Single-patch text changes: pos, del, ins per LV (pos = -1 marks a multi-patch or map change). */
  private pos: number[] = [];
  private del: number[] = [];
  private ins: string[] = [];
  private readonly multi = new Map<number, readonly Patch[]>();
  private readonly maps = new Map<number, MapEntry>();

  /** Events [0, count) whose changes are not decoded yet, and how to decode them. */
  private lazy: { readonly count: number; readonly load: () => readonly Change[] } | undefined;
  /** LV of the first entry of the columns: the lazy prefix takes no memory until it is decoded. */
  private base = 0;

  /**
   * A log whose first `count` changes are decoded only when first needed (loading a document reads
   * its snapshot; history is decoded if a merge or an export ever asks for it).
   */
  static lazy(count: number, load: () => readonly Change[]): OpLog {
    const log = new OpLog();
    log.lazy = { count, load };
    log.base = count;
    return log;
  }

  /** Decodes the lazy prefix now if `lv` lies in it. */
  private need(lv: number): void {
    if (this.lazy !== undefined && lv < this.lazy.count) this.materialize();
  }

  private materialize(): void {
    const lazy = this.lazy!;
    this.lazy = undefined;
    const changes = lazy.load();
    if (changes.length !== lazy.count) throw new Error(`op log: decoded ${changes.length} changes for ${lazy.count} events`);
    const tail = { target: this.target, pos: this.pos, del: this.del, ins: this.ins };
    this.target = [];
    this.pos = [];
    this.del = [];
    this.ins = [];
    this.base = 0;
    for (let lv = 0; lv < changes.length; lv++) this.setAt(lv, changes[lv]!);
    for (let i = 0; i < tail.target.length; i++) {
      this.target.push(tail.target[i]!);
      this.pos.push(tail.pos[i]!);
      this.del.push(tail.del[i]!);
      this.ins.push(tail.ins[i]!);
    }
  }

  get size(): number {
    return this.base + this.target.length;
  }

  /** The last target looked up: consecutive events almost always edit the same text. */
  private lastTarget = -1;

  private targetId(kind: number, name: string): number {
    const last = this.targets[this.lastTarget];
    if (last !== undefined && last.kind === kind && last.name === name) return this.lastTarget;
    const key = `${kind}:${name}`;
    let id = this.targetIndex.get(key);
    if (id === undefined) {
      id = this.targets.length;
      this.targets.push({ kind, name });
      this.targetIndex.set(key, id);
    }
    this.lastTarget = id;
    return id;
  }

  /** Appends the change of the event with the next LV (`patches`: the text op's, if already known). */
  push(change: Change, patches?: readonly Patch[]): void {
    this.setAt(this.size, change, patches);
  }

  private setAt(lv: number, change: Change, patches?: readonly Patch[]): void {
    const i = lv - this.base;
    if (change.type === 'text') {
      this.target[i] = this.targetId(KIND_TEXT, change.name);
      patches ??= patchesFromOp(change.op);
      if (patches.length === 1) {
        const p = patches[0]!;
        this.pos[i] = p[0];
        this.del[i] = p[1];
        this.ins[i] = p[2];
      } else {
        this.pos[i] = -1;
        this.del[i] = 0;
        this.ins[i] = '';
        this.multi.set(lv, patches);
      }
    } else {
      this.target[i] = this.targetId(KIND_MAP, change.name);
      this.pos[i] = -1;
      this.del[i] = 0;
      this.ins[i] = '';
      this.maps.set(lv, { key: change.key, value: change.type === 'map_set' ? change.value : undefined });
    }
  }

  truncate(size: number): void {
    if (this.lazy !== undefined && size < this.lazy.count) this.materialize();
    for (let lv = size; lv < this.size; lv++) {
      this.multi.delete(lv);
      this.maps.delete(lv);
    }
    const keep = Math.max(0, Math.min(this.target.length, size - this.base));
    this.target.length = keep;
    this.pos.length = keep;
    this.del.length = keep;
    this.ins.length = keep;
  }

  /** The text name an event edits, or undefined for a map change. */
  textNameOf(lv: number): string | undefined {
    this.need(lv);
    const t = this.targets[this.target[lv - this.base]!]!;
    return t.kind === KIND_TEXT ? t.name : undefined;
  }

  /** Name of the text or map an event changes. */
  nameOf(lv: number): string {
    this.need(lv);
    return this.targets[this.target[lv - this.base]!]!.name;
  }

  isText(lv: number): boolean {
    this.need(lv);
    return this.targets[this.target[lv - this.base]!]!.kind === KIND_TEXT;
  }

  /** The patches of a text event (empty for a map event). */
  patchesOf(lv: number): readonly Patch[] {
    this.need(lv);
    const pos = this.pos[lv - this.base]!;
    if (pos >= 0) return [[pos, this.del[lv - this.base]!, this.ins[lv - this.base]!]];
    return this.multi.get(lv) ?? [];
  }

  /** Calls `fn` for each patch of a text event, without allocating for the single-patch case. */
  forEachPatch(lv: number, fn: (pos: number, del: number, ins: string) => void): void {
    this.need(lv);
    const pos = this.pos[lv - this.base]!;
    if (pos >= 0) {
      fn(pos, this.del[lv - this.base]!, this.ins[lv - this.base]!);
      return;
    }
    const ps = this.multi.get(lv);
    if (ps !== undefined) for (const p of ps) fn(p[0], p[1], p[2]);
  }

  /** Number of characters a text event inserts. */
  insertedLength(lv: number): number {
    this.need(lv);
    const pos = this.pos[lv - this.base]!;
    if (pos >= 0) return this.ins[lv - this.base]!.length;
    let n = 0;
    const ps = this.multi.get(lv);
    if (ps !== undefined) for (const p of ps) n += p[2].length;
    return n;
  }

  /** The text op of an event, built straight from the columns in the single-patch case. */
  opOf(lv: number): TextOp {
    this.need(lv);
    const pos = this.pos[lv - this.base]!;
    if (pos < 0) return opFromPatches(this.patchesOf(lv));
    const del = this.del[lv - this.base]!;
    const ins = this.ins[lv - this.base]!;
    const op: OpComponent[] = [];
    if (pos > 0) op.push({ type: 'retain', length: pos });
    if (ins.length > 0) op.push({ type: 'insert', content: ins });
    if (del > 0) op.push({ type: 'delete', length: del });
    return op;
  }

  mapEntry(lv: number): MapEntry | undefined {
    this.need(lv);
    return this.maps.get(lv);
  }

  /** Rebuilds the public change of an event. */
  changeOf(lv: number): Change {
    this.need(lv);
    const t = this.targets[this.target[lv - this.base]!]!;
    if (t.kind === KIND_TEXT) {
      const op: TextOp = opFromPatches(this.patchesOf(lv));
      return { type: 'text', name: t.name, op };
    }
    const m = this.maps.get(lv)!;
    return m.value === undefined
      ? { type: 'map_delete', name: t.name, key: m.key }
      : { type: 'map_set', name: t.name, key: m.key, value: m.value };
  }
}
