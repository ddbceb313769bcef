/**
 * Builders for the storage tests: unique ids, so tests sharing one database never see each
 * other's rows, and small valid events.
 */
import { agentId, docId, type DocId, type Event, type EventId, type JsonValue } from '@tandem/core';

let counter = 0;
const run = Math.floor(Math.random() * 36 ** 6).toString(36);

/** An id no other test of this process (or another run on the same database) uses. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${run}-${counter}`;
}

export function uniqueDoc(prefix = 'doc'): DocId {
  return docId(uniqueId(prefix));
}

export function eventId(agent: string, seq: number): EventId {
  return { agent: agentId(agent), seq };
}

/**
 * A text event inserting `content` at the start of "body". By default its parent is the agent's
 * previous event, which is always a valid frontier for a single writer.
 */
export function textEvent(agent: string, seq: number, content: string, parents?: readonly EventId[]): Event {
  return {
    id: eventId(agent, seq),
    parents: parents ?? (seq === 0 ? [] : [eventId(agent, seq - 1)]),
    change: { type: 'text', name: 'body', op: [{ type: 'insert', content }] },
  };
}

export function mapSetEvent(agent: string, seq: number, key: string, value: JsonValue): Event {
  return {
    id: eventId(agent, seq),
    parents: seq === 0 ? [] : [eventId(agent, seq - 1)],
    change: { type: 'map_set', name: 'meta', key, value },
  };
}

/** `count` consecutive text events of one agent, from seq `first`. */
export function textRun(agent: string, first: number, count: number, label = 'x'): Event[] {
  const out: Event[] = [];
  for (let i = 0; i < count; i++) out.push(textEvent(agent, first + i, `${label}${first + i}`));
  return out;
}

/** Ids that are dangerous as plain-object keys: the store must treat them as ordinary strings. */
export const HOSTILE_IDS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__'] as const;
