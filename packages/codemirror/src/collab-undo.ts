/**
 * Undo and redo keys routed to the document's collaborative undo: Mod-z reverts my last change
 * (never anyone else's, even if they edited around it since), Mod-y / Mod-Shift-z reapplies it.
 * The resulting change arrives through the text like any other (origin 'undo' / 'redo'), and the
 * sync plugin puts it into the editor. High precedence so a stray CodeMirror `history()` in the
 * app's extensions cannot capture the keys and undo a collaborator's text locally.
 */
import { Prec, type Extension } from '@codemirror/state';
import { keymap, type EditorView } from '@codemirror/view';
import type { TandemDocument } from '@tandem/client';

/** Undo my last change; true when the key was handled (always, in an editable editor). */
export function collabUndo(document: TandemDocument): (view: EditorView) => boolean {
  return (view) => {
    if (view.state.readOnly) return false;
    document.undo();
    // Handled even when there was nothing to undo: the browser's own contenteditable undo must
    // never run, it would change the editor behind the document's back.
    return true;
  };
}

export function collabRedo(document: TandemDocument): (view: EditorView) => boolean {
  return (view) => {
    if (view.state.readOnly) return false;
    document.redo();
    return true;
  };
}

export function undoKeymap(document: TandemDocument): Extension {
  const undo = collabUndo(document);
  const redo = collabRedo(document);
  return Prec.high(
    keymap.of([
      { key: 'Mod-z', run: undo, preventDefault: true },
      { key: 'Mod-y', run: redo, preventDefault: true },
      { key: 'Mod-Shift-z', run: redo, preventDefault: true },
    ]),
  );
}
