/**
 * @tandem/codemirror: binds a CodeMirror 6 editor to a Tandem document text — incremental two-way
 * sync, remote cursors and selections with name labels, off-screen edge markers, my cursor and
 * typing flag in presence, and collaborative undo/redo on the usual keys.
 */
export { tandemCollab, scrollToPosition } from './binding.js';
export type { TandemCollabOptions } from './binding.js';
export { changesFromOp, opFromChanges, lastChangeEnd } from './op-changes.js';
export { fromTandem } from './config.js';
export { collabUndo, collabRedo } from './collab-undo.js';
export { presenceChanged } from './remote-cursors.js';
