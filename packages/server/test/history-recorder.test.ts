/**
 * Tests of the history machinery below the REST API, against a real (in-memory SQLite) store: the
 * checkpoint recorder's time rule with a fake clock, its flush on shutdown and its restart from the
 * stored checkpoints; and the version replayer, whose answers must not depend on where it starts
 * (empty document, stored snapshot, a cursor ahead of or behind the version asked for).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Doc, agentId, docId } from '@tandem/core';
import type { Event } from '@tandem/core';
import { pino } from 'pino';
import { AgentDirectory } from '../src/history/agent-directory.js';
import { CheckpointRecorder } from '../src/history/checkpoint-recorder.js';
import { VersionReplayer } from '../src/history/version-replayer.js';
import { openStore } from '../src/storage/open-store.js';
import type { DocStore } from '../src/storage/doc-store.js';

const logger = pino({ level: 'silent' });

/** Appends one event per edit, as two agents taking turns; returns the body text after each version. */
async function writeHistory(store: DocStore, doc: ReturnType<typeof docId>, edits: number): Promise<string[]> {
  const ann = new Doc({ agent: agentId('ann-1') });
  const bob = new Doc({ agent: agentId('bob-1') });
  await store.bindAgent(doc, 'ann-1', 'ann');
  await store.bindAgent(doc, 'bob-1', 'bob');
  const texts = [''];
  for (let i = 0; i < edits; i++) {
    const [me, other] = i % 2 === 0 ? [ann, bob] : [bob, ann];
    const len = me.textLength('body');
    const e: Event | undefined = i % 5 === 4 && len > 2 ? me.delete('body', 1, 2) : me.insert('body', Math.floor(len / 2), String.fromCharCode(97 + (i % 26)));
    assert.ok(e !== undefined);
    other.receive([e]);
    await store.appendEvents(doc, [e]);
    texts.push(me.getText('body'));
  }
  return texts;
}

describe('CheckpointRecorder', () => {
  test('the time rule checkpoints a window once checkpointMs have passed, even without another edit', async () => {
    const store = await openStore('sqlite::memory:');
    let now = 1_000_000;
    const doc = docId('timed');
    const recorder = new CheckpointRecorder({ store, agents: new AgentDirectory(store), config: { checkpointEvents: 100, checkpointMs: 1000 }, logger, now: () => now });
    await writeHistory(store, doc, 2);
    recorder.onCommit(doc, 2);
    await recorder.whenIdle();
    now += 999;
    recorder.tick();
    await recorder.whenIdle();
    assert.deepEqual(await store.listCheckpoints(doc), []);
    now += 1;
    recorder.tick();
    await recorder.whenIdle();
    assert.deepEqual(await store.listCheckpoints(doc), [{ version: 2, createdAt: now, authors: ['ann', 'bob'] }]);
    // A quiet document is forgotten after a tick with nothing pending.
    recorder.tick();
    await recorder.whenIdle();
    assert.equal((await store.listCheckpoints(doc)).length, 1);
    await store.close();
  });

  test('flush checkpoints pending edits; a new recorder (a restart) counts from the last stored checkpoint', async () => {
    const store = await openStore('sqlite::memory:');
    const doc = docId('__proto__');
    const config = { checkpointEvents: 4, checkpointMs: 0 };
    await writeHistory(store, doc, 3);
    const first = new CheckpointRecorder({ store, agents: new AgentDirectory(store), config, logger });
    first.onCommit(doc, 3);
    await first.flush();
    assert.deepEqual((await store.listCheckpoints(doc)).map((c) => [c.version, c.authors]), [[3, ['ann', 'bob']]]);
    const second = new CheckpointRecorder({ store, agents: new AgentDirectory(store), config, logger });
    // Versions 4..7 arrive one at a time: the fourth event after the checkpoint at 3 makes the next.
    const late = new Doc({ agent: agentId('late') });
    late.receive((await store.loadEvents(doc, 0)).map((s) => s.event));
    for (let v = 4; v <= 7; v++) {
      await store.appendEvents(doc, [late.insert('body', 0, 'x')!]);
      second.onCommit(doc, v);
      await second.whenIdle();
      assert.deepEqual((await store.listCheckpoints(doc)).map((c) => c.version), v < 7 ? [3] : [3, 7], `at version ${v}`);
    }
    // An agent without a binding is named by its id.
    assert.deepEqual((await store.listCheckpoints(doc))[1]?.authors, ['late']);
    await store.close();
  });
});

describe('VersionReplayer', () => {
  test('every version reads the same whatever the replay starts from', async () => {
    const store = await openStore('sqlite::memory:');
    const doc = docId('replay');
    const texts = await writeHistory(store, doc, 60);
    // A snapshot at version 40, as the server writes them.
    const at40 = new Doc({ agent: agentId('snap') });
    at40.receive((await store.loadEvents(doc, 0, 40)).map((s) => s.event));
    await store.saveSnapshot(doc, { version: 40, bytes: at40.encode() });
    const replayer = new VersionReplayer(store, { snapshotWorth: 5, maxResults: 4 });
    // Forward, backward, jumping over the snapshot and back: each answer must match the recording.
    const order = [0, 10, 5, 60, 45, 41, 40, 39, 59, 1, 60];
    for (const v of order) assert.equal((await replayer.stateAt(doc, v)).texts['body'] ?? '', texts[v], `version ${v}`);
    // withReplica leaves the cursor where the user moved it.
    const moved = await replayer.withReplica(doc, 20, async (replica) => {
      await replayer.forEachPage(doc, 20, 30, (events) => void replica.receive(events, { validate: false }));
      return { result: replica.getText('body'), version: 30 };
    });
    assert.equal(moved, texts[30]);
    assert.equal((await replayer.stateAt(doc, 31)).texts['body'], texts[31]);
    await store.close();
  });
});
