/**
 * TextHandle is an app's view of one named text of a document: read it, edit it, and hear about
 * every change with its origin. Edits apply to the local replica at once (offline too) and are
 * synced in the background. Offsets are UTF-16 code units, as JavaScript strings count them.
 */
import { opFromPatch, type ChangeOrigin, type Doc, type TextOp } from '@tandem/core';
import { Emitter } from '../util/emitter.js';

export type TextEvents = {
  /** `op` against the text just before the change; origin 'local', 'remote', 'undo' or 'redo'. */
  change: [op: TextOp, origin: ChangeOrigin];
};

export class TextHandle {
  /** @internal Listeners, fed by TandemDocument. */
  readonly events = new Emitter<TextEvents>();

  /** @internal Created by `TandemDocument.text`. */
  constructor(
    private readonly doc: Doc,
    readonly name: string,
  ) {}

  /** Inserts `text` at `pos`. @throws TandemError when `pos` is past the end or splits a surrogate pair. */
  insert(pos: number, text: string): void {
    if (text.length > 0) this.doc.editText(this.name, opFromPatch(pos, 0, text));
  }

  /** Deletes `length` code units at `pos`. @throws TandemError when the range reaches past the end. */
  delete(pos: number, length: number): void {
    if (length > 0) this.doc.editText(this.name, opFromPatch(pos, length, ''));
  }

  /** Replaces `length` code units at `pos` with `text`, as one change (one undo step). */
  replace(pos: number, length: number, text: string): void {
    if (length > 0 || text.length > 0) this.doc.editText(this.name, opFromPatch(pos, length, text));
  }

  /** Applies an operation (retain / insert / delete) against the current text. */
  apply(op: TextOp): void {
    this.doc.editText(this.name, op);
  }

  /** The length in UTF-16 code units. */
  get length(): number {
    return this.doc.textLength(this.name);
  }

  /** The current text. */
  toString(): string {
    return this.doc.getText(this.name);
  }

  /** Subscribes to changes of this text; returns the function that unsubscribes. */
  on<K extends keyof TextEvents>(event: K, listener: (...args: TextEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }
}
