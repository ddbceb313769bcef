/**
 * Events: the unit of change in a Tandem document. An event is one change by one agent, made at the
 * version its author saw (`parents`). Text changes carry a plain OT operation valid against the text
 * at the parents; map changes set or delete one key of a named map.
 */
import type { EventId } from './ids.js';
import type { TextOp } from './text-op.js';

/** A JSON value, as stored in shared maps. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface TextChange {
  readonly type: 'text';
  /** Name of the text within the document (for example "body"). */
  readonly name: string;
  /** Operation against the text at the event's parents. */
  readonly op: TextOp;
}
export interface MapSetChange {
  readonly type: 'map_set';
  readonly name: string;
  readonly key: string;
  readonly value: JsonValue;
}
export interface MapDeleteChange {
  readonly type: 'map_delete';
  readonly name: string;
  readonly key: string;
}
export type Change = TextChange | MapSetChange | MapDeleteChange;

/** An event as sent on the wire and exported by a document. */
export interface Event {
  readonly id: EventId;
  /** The version the author saw: a frontier, sorted by (agent, seq). Empty for the first event. */
  readonly parents: readonly EventId[];
  readonly change: Change;
}
