/**
 * `window.tandem`: the open editor and document, for the end-to-end tests and for anyone
 * debugging in the console (read the text, the sync state, the metrics). It exposes nothing the
 * page does not already hold.
 */
import type { EditorView } from '@codemirror/view';
import type { TandemDocument } from '@tandem/client';

export interface TandemDebug {
  readonly doc: TandemDocument;
  readonly view: EditorView;
  /** The editor's text (what the user sees). */
  text(): string;
  /** The document's text (what the replica holds); equal to text() whenever the binding works. */
  docText(): string;
}

declare global {
  interface Window {
    tandem?: TandemDebug;
  }
}

export function exposeForTests(doc: TandemDocument, view: EditorView): () => void {
  const debug: TandemDebug = {
    doc,
    view,
    text: () => view.state.doc.toString(),
    docText: () => doc.text().toString(),
  };
  window.tandem = debug;
  return () => {
    if (window.tandem === debug) delete window.tandem;
  };
}
