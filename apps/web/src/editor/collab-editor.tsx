/**
 * The document editor: a CodeMirror 6 view bound to the document's text by @tandem/codemirror.
 * Created once per document (the binding keeps it in sync from then on; React never re-renders
 * its content), made read-only through a compartment when the user may not edit, and handed to
 * the page so avatars can scroll it to someone's cursor.
 */
import { useEffect, useRef } from 'react';
import { defaultKeymap } from '@codemirror/commands';
import { Compartment, EditorState } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, keymap, placeholder } from '@codemirror/view';
import type { TandemClient, TandemDocument } from '@tandem/client';
import { tandemCollab } from '@tandem/codemirror';
import { exposeForTests } from './debug-hook.js';

interface Props {
  /** Only for the debug hook (its metrics). */
  readonly client: TandemClient;
  readonly doc: TandemDocument;
  readonly readOnly: boolean;
  readonly onView: (view: EditorView | undefined) => void;
}

const editable = new Compartment();

function editability(readOnly: boolean) {
  return [EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)];
}

export function CollabEditor({ client, doc, readOnly, onView }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | undefined>(undefined);
  // The first render's read-only flag; later changes go through the compartment.
  const initialReadOnly = useRef(readOnly);

  useEffect(() => {
    const parent = host.current;
    if (parent === null) return;
    const view = new EditorView({
      parent,
      state: EditorState.create({
        doc: doc.text().toString(),
        extensions: [
          tandemCollab({ document: doc }),
          keymap.of(defaultKeymap),
          drawSelection(),
          highlightActiveLine(),
          EditorView.lineWrapping,
          placeholder('Start writing…'),
          EditorView.contentAttributes.of({ 'aria-label': 'Document text', 'aria-multiline': 'true' }),
          editable.of(editability(initialReadOnly.current)),
        ],
      }),
    });
    viewRef.current = view;
    onView(view);
    const unexpose = exposeForTests(client, doc, view);
    return () => {
      unexpose();
      onView(undefined);
      viewRef.current = undefined;
      view.destroy();
    };
  }, [client, doc, onView]);

  useEffect(() => {
    viewRef.current?.dispatch({ effects: editable.reconfigure(editability(readOnly)) });
  }, [readOnly]);

  return <div className="editor-host" ref={host} data-testid="editor" data-readonly={readOnly ? 'true' : 'false'} />;
}
