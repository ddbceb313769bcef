/**
 * The two-way text sync between a CodeMirror view and a Tandem text. Local transactions become
 * operations on the text (one per transaction, in order); changes from elsewhere — other users,
 * other tabs, collaborative undo, or app code editing the handle — are dispatched to the view as
 * CodeMirror changes built from the operation, so the editor keeps its selection, scroll position
 * and decorations instead of being reloaded.
 *
 * Echo guard: while this plugin applies a local transaction to the text, the text's own 'local'
 * change event is that very transaction and is ignored; transactions this plugin dispatches carry
 * the `fromTandem` annotation and are never turned back into operations.
 */
import { Transaction } from '@codemirror/state';
import { ViewPlugin, type EditorView, type PluginValue, type ViewUpdate } from '@codemirror/view';
import type { ChangeOrigin, TextOp } from '@tandem/core';
import { fromTandem, type BindingContext } from './config.js';
import { changesFromOp, lastChangeEnd, opFromChanges } from './op-changes.js';

export function syncPlugin(ctx: BindingContext): ViewPlugin<PluginValue> {
  return ViewPlugin.define((view) => new TextSync(view, ctx));
}

class TextSync implements PluginValue {
  /** True while a local transaction is being applied to the text (its change event is our own echo). */
  private applyingLocal = false;
  private readonly off: () => void;
  private destroyed = false;

  constructor(
    private readonly view: EditorView,
    private readonly ctx: BindingContext,
  ) {
    this.off = ctx.text.on('change', (op, origin) => this.fromText(op, origin));
    // The view must start from the text's content; an app that created it from something else
    // (or a text that moved between creating the state and the view) is brought in line once.
    if (view.state.doc.toString() !== ctx.text.toString()) queueMicrotask(() => this.resync());
  }

  update(update: ViewUpdate): void {
    for (const tr of update.transactions) {
      if (!tr.docChanged || tr.annotation(fromTandem) !== undefined) continue;
      const op = opFromChanges(tr.changes);
      this.applyingLocal = true;
      try {
        this.ctx.text.apply(op);
      } catch (err) {
        // The text refused the edit (it would split a surrogate pair, say): the editor now differs
        // from the document, so it is reset to the document rather than left diverged.
        console.error('tandem: a local edit was refused; resetting the editor to the document', err);
        queueMicrotask(() => this.resync());
      } finally {
        this.applyingLocal = false;
      }
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.off();
  }

  private fromText(op: TextOp, origin: ChangeOrigin): void {
    if (this.destroyed || (this.applyingLocal && origin === 'local')) return;
    let changes;
    try {
      changes = changesFromOp(op, this.view.state.doc.length);
    } catch {
      // Only possible if the editor already diverged (a refused edit above): recover.
      this.resync();
      return;
    }
    const mine = origin === 'undo' || origin === 'redo';
    const caret = mine ? lastChangeEnd(changes) : undefined;
    this.view.dispatch({
      changes,
      annotations: [fromTandem.of(origin), Transaction.addToHistory.of(false), Transaction.userEvent.of(mine ? origin : 'input.remote')],
      // After my own undo or redo the caret goes to what changed, as in any editor.
      ...(caret !== undefined ? { selection: { anchor: caret }, scrollIntoView: true } : {}),
    });
  }

  /** Last resort: make the editor show exactly the text (a whole-document replace). */
  private resync(): void {
    if (this.destroyed) return;
    const text = this.ctx.text.toString();
    const doc = this.view.state.doc;
    if (doc.toString() === text) return;
    this.view.dispatch({
      changes: { from: 0, to: doc.length, insert: text },
      annotations: [fromTandem.of('resync'), Transaction.addToHistory.of(false)],
    });
  }
}
