/**
 * The conversion between Tandem text operations (retain / insert / delete, positions in UTF-16
 * code units) and CodeMirror change sets. Both count UTF-16 code units, so the conversion is a
 * walk over the components with no re-indexing; it is exact for every op, astral characters
 * (emoji) included, as long as the editor does not fold line breaks (see `lineSeparator` in
 * binding.ts: "\r\n" must stay two code units on both sides).
 */
import { ChangeSet, type ChangeSpec } from '@codemirror/state';
import { normalize, type OpComponent, type TextOp } from '@tandem/core';

/**
 * The CodeMirror changes that do what `op` does to a document of `docLength` code units. Each
 * edited region becomes one change in start-document coordinates, so applying the result is an
 * incremental edit: never a whole-document replace.
 * @throws RangeError when `op` reaches past the end of the document.
 */
export function changesFromOp(op: TextOp, docLength: number): ChangeSet {
  const specs: ChangeSpec[] = [];
  let pos = 0;
  // An insert directly followed by a delete at the same spot is one replacement, which keeps the
  // change set minimal and the editor's own mapping of selections natural.
  let pendingInsert: string | undefined;
  const flushInsert = (): void => {
    if (pendingInsert !== undefined) specs.push({ from: pos, insert: pendingInsert });
    pendingInsert = undefined;
  };
  for (const c of op) {
    switch (c.type) {
      case 'retain':
        flushInsert();
        pos += c.length;
        break;
      case 'insert':
        pendingInsert = (pendingInsert ?? '') + c.content;
        break;
      case 'delete':
        specs.push({ from: pos, to: pos + c.length, insert: pendingInsert ?? '' });
        pendingInsert = undefined;
        pos += c.length;
        break;
    }
    if (pos > docLength) throw new RangeError(`operation reaches position ${pos}, past the end of the document (${docLength})`);
  }
  flushInsert();
  return ChangeSet.of(specs, docLength);
}

/**
 * The Tandem operation equivalent to a CodeMirror change set (positions in the document before
 * the changes). The trailing retain is left out, as the protocol allows.
 */
export function opFromChanges(changes: ChangeSet): TextOp {
  const op: OpComponent[] = [];
  let last = 0;
  changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    if (fromA > last) op.push({ type: 'retain', length: fromA - last });
    const content = inserted.toString();
    if (content.length > 0) op.push({ type: 'insert', content });
    if (toA > fromA) op.push({ type: 'delete', length: toA - fromA });
    last = toA;
  });
  return normalize(op);
}

/** Where a change set leaves the caret most naturally: the end of its last edited region (new coordinates). */
export function lastChangeEnd(changes: ChangeSet): number | undefined {
  let end: number | undefined;
  changes.iterChangedRanges((_fromA, _toA, _fromB, toB) => {
    end = toB;
  });
  return end;
}
