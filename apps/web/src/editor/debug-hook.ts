/**
 * `window.tandem`: the open editor and document, for the end-to-end tests and for anyone
 * debugging in the console (read the text, the sync state, the metrics, the direct links). It
 * exposes nothing the page does not already hold.
 */
import type { EditorView } from '@codemirror/view';
import type { P2PMetricsSnapshot, TandemClient, TandemDocument } from '@tandem/client';

export interface TandemDebug {
  readonly doc: TandemDocument;
  readonly view: EditorView;
  /** The editor's text (what the user sees). */
  text(): string;
  /** The document's text (what the replica holds); equal to text() whenever the binding works. */
  docText(): string;
  /** The client's peer-to-peer metrics, with `peers` narrowed to this document's. */
  p2p(): P2PMetricsSnapshot;
}

declare global {
  interface Window {
    tandem?: TandemDebug;
  }
}

export function exposeForTests(client: TandemClient, doc: TandemDocument, view: EditorView): () => void {
  const debug: TandemDebug = {
    doc,
    view,
    text: () => view.state.doc.toString(),
    docText: () => doc.text().toString(),
    p2p: () => {
      const m = client.metrics.p2p;
      return { ...m, peers: m.peers.filter((p) => p.docId === doc.id) };
    },
  };
  window.tandem = debug;
  return () => {
    if (window.tandem === debug) delete window.tandem;
  };
}
