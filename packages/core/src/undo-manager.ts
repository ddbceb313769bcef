/**
 * UndoManager owns an agent's undo and redo stacks. Undo reverts this agent's last change as a new
 * event, transformed past everything that happened since (others' edits included), and never touches
 * anyone else's work: an insert of mine that someone already deleted stays deleted, and a map key
 * someone else overwrote since is left alone. Quick successive edits group into one undo step.
 */
import type { Change, Event, JsonValue } from './event.js';
import type { TextOp } from './text-op.js';
import { compose, isNoop, opFromPatches } from './text-op.js';

export interface UndoOptions {
  /** Edits closer together than this (ms) form one undo step. Default 500; 0 makes every edit a step. */
  readonly captureTimeoutMs?: number;
  /** Most undo steps kept (oldest dropped). Default 500. */
  readonly maxSteps?: number;
  /** Clock for grouping, injectable for tests. Default Date.now. */
  readonly now?: () => number;
}

export type UndoItem =
  | { readonly kind: 'text'; readonly name: string; readonly inverse: TextOp }
  | { readonly kind: 'map'; readonly name: string; readonly key: string; readonly previous: JsonValue | undefined };

interface Step {
  entries: { lv: number; item: UndoItem }[];
  last: number;
}

type Origin = 'local' | 'remote' | 'undo' | 'redo';

/** What the manager needs from its document. */
export interface UndoHost {
  /** Patches on the current texts of changes made at the versions {lv}, in order. */
  rebase(items: readonly { lv: number; change: Change }[]): Map<number, { name: string; patches: readonly (readonly [number, number, string])[] }>;
  editText(name: string, op: TextOp, origin: Origin): Event | undefined;
  editMap(name: string, key: string, value: JsonValue | undefined, origin: Origin): Event;
  /** LV of the write that currently wins a map key. */
  mapWinnerLv(name: string, key: string): number | undefined;
}

export class UndoManager {
  private readonly undoStack: Step[] = [];
  private readonly redoStack: Step[] = [];
  private readonly captureTimeoutMs: number;
  private readonly maxSteps: number;
  private readonly now: () => number;
  /** Where events made by a running undo/redo are recorded. */
  private capturing: Step | undefined;

  constructor(options: UndoOptions = {}) {
    this.captureTimeoutMs = options.captureTimeoutMs ?? 500;
    this.maxSteps = options.maxSteps ?? 500;
    this.now = options.now ?? Date.now;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Records a change this agent just made (event `lv`) with what reverts it. */
  recorded(origin: Origin, lv: number, item: UndoItem): void {
    if (origin === 'remote') return;
    if (origin === 'undo' || origin === 'redo') {
      this.capturing?.entries.push({ lv, item });
      return;
    }
    this.redoStack.length = 0;
    const t = this.now();
    const top = this.undoStack[this.undoStack.length - 1];
    if (top !== undefined && this.captureTimeoutMs > 0 && t - top.last < this.captureTimeoutMs) {
      top.entries.push({ lv, item });
      top.last = t;
      return;
    }
    this.undoStack.push({ entries: [{ lv, item }], last: t });
    if (this.undoStack.length > this.maxSteps) this.undoStack.shift();
  }

  /** Starts a new undo step even if the next edit comes quickly. */
  stopCapturing(): void {
    const top = this.undoStack[this.undoStack.length - 1];
    if (top !== undefined) top.last = -Infinity;
  }

  undo(host: UndoHost): Event | undefined {
    return this.revert(host, this.undoStack, this.redoStack, 'undo');
  }

  redo(host: UndoHost): Event | undefined {
    return this.revert(host, this.redoStack, this.undoStack, 'redo');
  }

  /** Reverts the top step of `from` that still changes something; records its reversal on `to`. */
  private revert(host: UndoHost, from: Step[], to: Step[], origin: 'undo' | 'redo'): Event | undefined {
    for (;;) {
      const step = from.pop();
      if (step === undefined) return undefined;
      const capture: Step = { entries: [], last: -Infinity };
      this.capturing = capture;
      let last: Event | undefined;
      try {
        last = this.apply(host, step, origin);
      } finally {
        this.capturing = undefined;
      }
      if (capture.entries.length > 0) {
        to.push(capture);
        if (to.length > this.maxSteps) to.shift();
        return last;
      }
      // Everything this step did was already undone by others; try the step before it.
    }
  }

  private apply(host: UndoHost, step: Step, origin: 'undo' | 'redo'): Event | undefined {
    const reversed = [...step.entries].reverse();
    const textItems = reversed.filter((e) => e.item.kind === 'text');
    const rebased = host.rebase(
      textItems.map((e) => {
        const item = e.item as Extract<UndoItem, { kind: 'text' }>;
        return { lv: e.lv, change: { type: 'text', name: item.name, op: item.inverse } };
      }),
    );
    // Outputs are sequential per text; texts are independent, so compose each text's ops in order.
    const perText = new Map<string, TextOp>();
    for (let i = 0; i < textItems.length; i++) {
      const r = rebased.get(i);
      if (r === undefined) continue;
      const op = opFromPatches(r.patches);
      const prev = perText.get(r.name);
      perText.set(r.name, prev === undefined ? op : compose(prev, op));
    }
    let last: Event | undefined;
    for (const [name, op] of perText) {
      if (!isNoop(op)) last = host.editText(name, op, origin) ?? last;
    }
    for (const e of reversed) {
      if (e.item.kind !== 'map') continue;
      // Only revert a key while my write is still the one that shows.
      if (host.mapWinnerLv(e.item.name, e.item.key) !== e.lv) continue;
      last = host.editMap(e.item.name, e.item.key, e.item.previous, origin);
    }
    return last;
  }
}
