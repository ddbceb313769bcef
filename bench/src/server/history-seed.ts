/**
 * Builds the documents the client-side rows open: a long single-author typing history (the same edit
 * sequence for every system), made through Tandem's core and written with the server's own storage,
 * or applied to a Y.Doc; and a document typed live by several collaborators through the load drivers.
 */
import { performance } from 'node:perf_hooks';
import { Doc, opFromPatch } from '@tandem/core';
import type { DocId } from '@tandem/core';
import { openStore } from '@tandem/server';
import * as Y from 'yjs';
import { DocTracker } from '../load/delivery-tracker.js';
import { ClientIssues, loadDriver } from '../load/load-driver.js';
import type { LoadClient, SystemId } from '../load/load-driver.js';
import { Prng } from '../load/prng.js';
import { LOAD_USER } from '../load/tandem-driver.js';
import { TypingModel } from '../load/typing-model.js';
import type { TextEdit } from '../load/typing-model.js';

/** `count` typing edits by one author, with the text growing to about `softMaxLength` characters. */
export function typingHistory(count: number, seed: number, softMaxLength: number): TextEdit[] {
  const model = new TypingModel(new Prng(seed), softMaxLength);
  const edits: TextEdit[] = [];
  let length = 0;
  for (let i = 0; i < count; i++) {
    const e = model.next(length);
    edits.push(e);
    length += e.ins.length - e.del;
  }
  return edits;
}

/**
 * Makes the history with a core `Doc` and stores it in the SQLite database of a Tandem data folder
 * (as the server would have: the event log, the owner, the agent's binding, and a snapshot).
 */
export async function seedTandemStore(dataDir: string, docId: string, edits: readonly TextEdit[]): Promise<{ events: number; textLength: number }> {
  const doc = new Doc({ agent: 'seed-author' });
  for (const e of edits) doc.editText('body', opFromPatch(e.pos, e.del, e.ins));
  const events = doc.events();
  const store = await openStore(`sqlite:${dataDir}/tandem.db`);
  try {
    const id = docId as DocId;
    await store.createDocument(id, LOAD_USER);
    await store.bindAgent(id, 'seed-author', LOAD_USER);
    let head = 0;
    for (let i = 0; i < events.length; i += 10_000) head = (await store.appendEvents(id, events.slice(i, i + 10_000))).head;
    await store.saveSnapshot(id, { version: head, bytes: doc.encode() });
  } finally {
    await store.close();
  }
  return { events: events.length, textLength: doc.textLength('body') };
}

/** The same history applied to a Y.Doc (one transaction per edit), as one update. */
export function yjsHistoryUpdate(edits: readonly TextEdit[]): { update: Uint8Array; textLength: number } {
  const doc = new Y.Doc();
  const text = doc.getText('body');
  for (const e of edits) {
    doc.transact(() => {
      if (e.del > 0) text.delete(e.pos, e.del);
      if (e.ins.length > 0) text.insert(e.pos, e.ins);
    });
  }
  return { update: Y.encodeStateAsUpdate(doc), textLength: text.length };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Connects `count` clients of the system to one document and has them take turns typing (a burst of
 * edits by one client, then everyone catches up, then the next) until the text has `targetLength`
 * characters and every client holds it. Turns keep the history mostly sequential, as when people
 * take turns in a document, and keep seeding fast for every system. Returns the clients, still
 * connected (the caller closes them).
 */
export async function typeTogether(system: SystemId, url: string, docId: string, count: number, targetLength: number, timeoutMs: number): Promise<LoadClient[]> {
  const driver = await loadDriver(system);
  const issues = new ClientIssues();
  const tracker = new DocTracker(() => undefined, () => performance.now());
  const clients: LoadClient[] = [];
  for (let i = 0; i < count; i++) {
    clients.push(await driver.connect({ url, docId, clientName: `collab-${process.pid}-${i}`, tracker, issues, running: () => true }));
  }
  const random = new Prng(7);
  const models = clients.map((_, i) => new TypingModel(random.fork(i), Infinity));
  const deadline = performance.now() + timeoutMs;
  const converged = (): boolean => clients.every((c) => c.textLength() === clients[0]!.textLength());
  for (let turn = 0; clients[0]!.textLength() < targetLength; turn++) {
    const writer = turn % count;
    for (let k = 0; k < 1000; k++) clients[writer]!.edit(models[writer]!);
    // Everyone catches up before the next turn.
    while (!converged()) {
      if (performance.now() > deadline) throw new Error(`typing ${targetLength} characters together took longer than ${timeoutMs} ms`);
      if (issues.errorCount > 0) throw new Error(`client errors while typing: ${issues.samples.join('; ')}`);
      await pause(5);
    }
  }
  return clients;
}
