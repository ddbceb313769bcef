/**
 * Many clients in one process against a real server (SQLite, port 0): seeded concurrent random
 * editing of texts and a map converges everywhere and matches the server; presence joins and
 * leaves reach the others; cursors are anchored and follow local and remote edits.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TandemClient, TandemDocument } from '../src/index.js';
import { makeClient } from './support/clients.js';
import { Rng, testSeed } from './support/random.js';
import { TestServer } from './support/test-server.js';
import { pause, waitUntil } from './support/wait.js';

let server: TestServer;
before(async () => {
  server = await TestServer.start();
});
after(async () => {
  await server.stop();
});

async function openAll(clients: readonly TandemClient[], docId: string): Promise<TandemDocument[]> {
  const docs = await Promise.all(clients.map((c) => c.open(docId)));
  await Promise.all(docs.map((d) => d.whenSynced(10_000)));
  return docs;
}

/** One random edit of `doc`: mostly inserts and deletes in two texts, sometimes a map write or an undo. */
function randomEdit(rng: Rng, doc: TandemDocument, who: number): void {
  const roll = rng.next();
  if (roll < 0.05) {
    doc.undo();
    return;
  }
  if (roll < 0.12) {
    doc.map('meta').set(`k${rng.int(4)}`, { by: who, n: rng.int(1000) });
    return;
  }
  const text = doc.text(rng.bool(0.8) ? 'body' : 'notes');
  if (text.length > 0 && rng.bool(0.3)) {
    const pos = rng.int(text.length);
    text.delete(pos, Math.min(text.length - pos, 1 + rng.int(4)));
  } else {
    text.insert(rng.int(text.length + 1), rng.pick(['a', 'bc', 'def', ' ', 'xyz', '\n', 'é']));
  }
}

describe('many clients on one document', () => {
  test('concurrent random editing converges and matches the server', async () => {
    const rng = new Rng(testSeed('many-clients convergence'));
    const users = Array.from({ length: 8 }, (_, i) => `user${i}`);
    await server.share('many-1', 'user0', users);
    const clients = users.map((u) => makeClient(server.url, u, { random: rng.fork() }));
    try {
      const docs = await openAll(clients, 'many-1');
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < docs.length; i++) if (rng.bool(0.7)) randomEdit(rng, docs[i]!, i);
        await pause(rng.int(6));
      }
      const texts = (): string[] => docs.map((d) => d.text('body').toString() + '|' + d.text('notes').toString());
      await waitUntil('every client synced and equal', () => docs.every((d) => d.synced) && new Set(texts()).size === 1, {
        describe: () => `pending ${docs.map((d) => d.pendingCount).join(',')}; distinct texts ${new Set(texts()).size}`,
      });
      const onServer = await server.text('many-1');
      assert.equal(onServer.text, docs[0]!.text('body').toString());
      const maps = docs.map((d) => JSON.stringify([...d.map('meta').entries()]));
      assert.equal(new Set(maps).size, 1, 'maps converge');
      for (const d of docs) {
        assert.equal(d.pendingCount, 0);
        assert.ok(d.lastSyncedAt !== undefined);
        assert.equal(d.serverVersion, onServer.version);
      }
      const metrics = clients[0]!.metrics;
      assert.ok(metrics.eventRoundTrip.count > 0, 'event round trips are measured');
      assert.equal(metrics.transport, 'websocket');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  test('presence: join and leave reach the others; cursors follow local and remote edits', async () => {
    await server.share('presence-1', 'alice', ['bob', 'carol']);
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((u) => makeClient(server.url, u));
    const clients = [alice!, bob!, carol!];
    try {
      const [da, db, dc] = await openAll(clients, 'presence-1');
      const a = da!;
      const b = db!;
      const c = dc!;
      await waitUntil('alice sees bob and carol', () => a.presence.get('bob') !== undefined && a.presence.get('carol') !== undefined);
      const left: string[] = [];
      a.presence.on('leave', (p) => left.push(p.key));

      b.text().insert(0, 'hello world');
      await waitUntil('alice has the text', () => a.text().toString() === 'hello world');
      // Bob selects "world".
      b.presence.setCursor({ anchor: 6, head: 11 });
      await waitUntil('alice sees bob selecting "world"', () => a.presence.get('bob')?.cursor?.anchor === 6);
      const seenByAlice = (): string => {
        const cur = a.presence.get('bob')?.cursor;
        return cur === undefined || cur === null ? '' : a.text().toString().slice(cur.anchor, cur.head);
      };
      assert.equal(seenByAlice(), 'world');

      // A remote edit before the selection (carol's) moves it everywhere, with no message from bob.
      c.text().insert(0, '>> ');
      await waitUntil('everyone has carol’s edit', () => a.text().toString() === '>> hello world' && b.text().toString() === '>> hello world');
      assert.equal(seenByAlice(), 'world');
      assert.deepEqual(b.presence.cursor, { anchor: 9, head: 14 });

      // A local edit at alice moves bob's cursor in alice's view at once.
      a.text().insert(3, 'big ');
      assert.equal(seenByAlice(), 'world');
      await waitUntil('bob sees alice’s edit', () => b.text().toString() === '>> big hello world');
      assert.equal(b.text().toString().slice(b.presence.cursor!.anchor, b.presence.cursor!.head), 'world');

      // Bob types at the end of his selection: his own cursor follows what he typed, and alice sees that.
      b.presence.setCursor({ anchor: 18, head: 18 });
      b.text().insert(18, '!!');
      assert.deepEqual(b.presence.cursor, { anchor: 20, head: 20 });
      await waitUntil('alice sees bob after his "!!"', () => a.text().toString().endsWith('!!') && a.presence.get('bob')?.cursor?.head === 20);

      // Custom fields and status reach the others.
      c.presence.update({ custom: { role: 'reviewer' }, typing: true });
      await waitUntil('alice sees carol’s custom field', () => a.presence.get('carol')?.custom['role'] === 'reviewer');

      await clients[1]!.close();
      await waitUntil('alice sees bob leave', () => left.includes('bob') && a.presence.get('bob') === undefined);
      assert.ok(a.presence.get('carol') !== undefined);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
