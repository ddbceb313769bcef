/**
 * How a document session tells its clients about committed changes: events-mode clients get the
 * events, plain-OT clients one operation per changed text, each with the server version after it.
 * A client is told a version only once it has everything up to it (it resumes from that version),
 * so the session calls these in the database's order of versions. Each message is encoded once
 * and the same text goes to every client it is for.
 */
import { isNoop } from '@tandem/core';
import type { DocId, Event, TextOp } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import type { SessionClient } from './document-session.js';

/** Who is told: every client but `skip` (the submitter, told by its ack), of the given mode. */
function targets(clients: Iterable<SessionClient>, mode: 'events' | 'ot', skip: readonly SessionClient[]): SessionClient[] {
  const out: SessionClient[] = [];
  for (const c of clients) {
    if (c.mode === mode && !skip.some((s) => s === c || s.connectionId === c.connectionId)) out.push(c);
  }
  return out;
}

/** Sends one message to every target, encoding it once (and not at all without targets). */
function broadcast(to: readonly SessionClient[], message: ServerMessage): void {
  if (to.length === 0) return;
  const encoded = JSON.stringify(message);
  for (const c of to) c.send(message, encoded);
}

export function sendEvents(clients: Iterable<SessionClient>, skip: readonly SessionClient[], docId: DocId, version: number, userId: string, events: readonly Event[]): void {
  if (events.length === 0) return;
  broadcast(targets(clients, 'events', skip), { type: 'remote_operation', docId, version, userId, events });
}

export function sendOt(clients: Iterable<SessionClient>, skip: readonly SessionClient[], docId: DocId, version: number, userId: string, perText: ReadonlyMap<string, TextOp>): void {
  const to = targets(clients, 'ot', skip);
  if (to.length === 0) return;
  const changed = [...perText].filter(([, op]) => !isNoop(op));
  for (const [text, operations] of changed) broadcast(to, { type: 'remote_operation', docId, version, userId, text, operations });
  // A commit that changed no text (a map write, a no-op) still moves the version: say so with an
  // empty operation, or the client would keep sending ops against a version it cannot catch up from.
  if (changed.length === 0) broadcast(to, { type: 'remote_operation', docId, version, userId, text: DEFAULT_TEXT, operations: [] });
}

/** The text plain-OT clients edit when they name none. */
const DEFAULT_TEXT = 'body';

/** Both modes: a commit as everyone but `skip` sees it. */
export function sendCommit(
  clients: Iterable<SessionClient>,
  skip: readonly SessionClient[],
  docId: DocId,
  version: number,
  userId: string,
  events: readonly Event[],
  perText: ReadonlyMap<string, TextOp>,
): void {
  const all = [...clients];
  sendEvents(all, skip, docId, version, userId, events);
  sendOt(all, skip, docId, version, userId, perText);
}
