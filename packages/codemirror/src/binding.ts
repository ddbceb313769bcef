/**
 * `tandemCollab`: the one extension an app adds to a CodeMirror 6 editor to make it a collaborative
 * view of a Tandem text. It bundles the text sync, my cursor and typing flag published to
 * presence, the others' cursors and selections, off-screen edge markers, and undo/redo through the
 * document's collaborative undo. The editor's state must be created with the text's content:
 * `EditorState.create({ doc: text.toString(), extensions: [tandemCollab({ document })] })`.
 */
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import type { TandemDocument } from '@tandem/client';
import type { BindingContext } from './config.js';
import { undoKeymap } from './collab-undo.js';
import { edgeMarkers } from './edge-markers.js';
import { localPresence } from './local-presence.js';
import { presenceWatcher, remoteCursors } from './remote-cursors.js';
import { syncPlugin } from './sync-plugin.js';
import { tandemTheme } from './theme.js';

export interface TandemCollabOptions {
  /** The open document. */
  readonly document: TandemDocument;
  /** Which of its texts the editor shows (default "body"). */
  readonly text?: string;
  /** Show the others' cursors and selections, with edge markers (default true). */
  readonly remoteCursors?: boolean;
  /** Publish my cursor and selection to presence (default true). */
  readonly publishCursor?: boolean;
  /** Publish `typing` while I type (default true; needs publishCursor). */
  readonly typing?: boolean;
  /** Pause after which I am no longer typing, ms (default 1500). */
  readonly typingIdleMs?: number;
  /** Bind Mod-z / Mod-y / Mod-Shift-z to the document's collaborative undo (default true). */
  readonly undoKeys?: boolean;
}

export function tandemCollab(options: TandemCollabOptions): Extension {
  const name = options.text ?? 'body';
  const ctx: BindingContext = {
    document: options.document,
    text: options.document.text(name),
    cursorText: name === 'body' ? undefined : name,
  };
  const extensions: Extension[] = [
    // Only "\n" breaks lines: a "\r\n" in the text must stay two code units in the editor too,
    // or every offset after it would differ between the editor and the document.
    EditorState.lineSeparator.of('\n'),
    syncPlugin(ctx),
    tandemTheme,
  ];
  if (options.publishCursor !== false) extensions.push(localPresence(ctx, { typing: options.typing !== false, typingIdleMs: options.typingIdleMs ?? 1500 }));
  if (options.remoteCursors !== false) extensions.push(presenceWatcher(ctx), remoteCursors(ctx), edgeMarkers(ctx));
  if (options.undoKeys !== false) extensions.push(undoKeymap(options.document));
  return extensions;
}

/** Scrolls the editor to a position (a peer's cursor) and puts it in the middle of the view. */
export function scrollToPosition(view: EditorView, pos: number): void {
  view.dispatch({ effects: EditorView.scrollIntoView(Math.max(0, Math.min(pos, view.state.doc.length)), { y: 'center' }) });
}
