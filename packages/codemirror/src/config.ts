/**
 * What every part of the binding shares: the document, the text it edits, and the annotation that
 * marks transactions made by the binding itself (remote edits, undo) so they are never sent back.
 */
import { Annotation } from '@codemirror/state';
import type { TandemDocument, TextHandle } from '@tandem/client';

export interface BindingContext {
  readonly document: TandemDocument;
  readonly text: TextHandle;
  /** The text name as cursors carry it: left out for the default text, as the protocol does. */
  readonly cursorText: string | undefined;
}

/**
 * Marks a transaction that applies a change already in the document (someone else's edit, or my
 * undo made by the sync core): the sync plugin must not turn it into a new operation.
 */
export const fromTandem = Annotation.define<'remote' | 'undo' | 'redo' | 'local' | 'resync'>();
