/**
 * @tandem/core: the sync core of Tandem. Text operations (plain OT: retain / insert / delete), the
 * event graph, the Eg-walker merge, shared maps, collaborative undo, and the JSON and binary
 * encodings. Pure: no I/O and no runtime dependencies.
 */
export * from './errors.js';
export * from './ids.js';
export type { Change, Event, JsonValue, MapDeleteChange, MapSetChange, TextChange } from './event.js';
export {
  apply,
  baseLength,
  checkOp,
  compose,
  deletedLength,
  insertedLength,
  invert,
  isNoop,
  normalize,
  opFromPatch,
  opFromPatches,
  patchesFromOp,
  targetLength,
  transform,
  transformPosition,
  DEFAULT_MAX_COMPONENTS,
} from './text-op.js';
export type { Bias, CheckOpOptions, OpComponent, Side, TextOp } from './text-op.js';
export { Doc, DEFAULT_MAX_PENDING } from './doc.js';
export { DEFAULT_MAX_KEPT_ITEMS } from './merge/replay-cache.js';
export type { AppliedChange, ChangeListener, ChangeOrigin, DocOptions, ReceiveOptions, ReceiveResult } from './doc.js';
export type { UndoOptions } from './undo-manager.js';
export { checkEvent, checkEvents, eventToJSON } from './encoding/json-event.js';
export type { EventLimits } from './encoding/json-event.js';
export { concurrentTraceToEvents, sequentialTraceToEvents } from './trace-import.js';
