/**
 * kill -9 durability: the real `tandem-server` process, several clients streaming edits (core Doc
 * replicas, operations pipelined), SIGKILL after a seeded random number of acks, restart on the same
 * data, and the check that nothing acknowledged was lost: every acknowledged event is stored with
 * the payload its client sent, nothing is stored that no client sent, and the text the restarted
 * server serves equals a core Doc rebuilt from exactly the stored events (the acknowledged ones plus
 * any committed whose ack never left). Several rounds on the same data. SQLite always; PostgreSQL
 * too (skipped visibly when unreachable, except in CI).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docId as toDocId } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { openStore } from '../src/storage/open-store.js';
import type { DocStore } from '../src/storage/doc-store.js';
import { withDeadline } from './support/deadline.js';
import { StreamingEditor } from './support/editor-peer.js';
import { EventSet, contentOf, eventKey, normalizeContent, payloadOf, rebuild } from './support/event-log.js';
import { POSTGRES_URL, dropSchemas, requirePostgres, uniqueSchema } from './support/postgres.js';
import { spawnServer } from './support/server-process.js';
import type { ServerProcess } from './support/server-process.js';
import { SeededRandom, testSeed } from './support/storage-random.js';
import { TestClient } from './support/test-client.js';

const ROUNDS = 3;
const DOCS = ['durable-a', 'durable-b'] as const;
const EDITORS_PER_DOC = 2;
const OWNER = 'owner';

interface Target {
  /** CLI flags selecting the storage. */
  readonly args: readonly string[];
  /** Opens the same storage directly, while the server is down. */
  openStore(): Promise<DocStore>;
}

interface DocRecord {
  readonly sent: EventSet;
  readonly acked: EventSet;
  maxAckedVersion: number;
}

type Joined = Extract<ServerMessage, { type: 'session_joined' }>;

async function joinAs(url: string, docId: string, mode: 'events' | 'ot'): Promise<Joined> {
  const c = await TestClient.hello(url, OWNER);
  try {
    c.send({ type: 'join_session', docId, mode });
    const m = await c.next((x) => x.type === 'session_joined' || x.type === 'error', 10_000);
    if (m.type !== 'session_joined') throw new Error(`join of ${docId} failed: ${JSON.stringify(m)}`);
    return m;
  } finally {
    c.close();
  }
}

/** One round: editors stream until the server is killed after `killAfter` acks. */
async function streamUntilKilled(server: ServerProcess, rng: SeededRandom, round: number, records: Map<string, DocRecord>): Promise<number> {
  const killAfter = rng.range(5, 150);
  let acks = 0;
  const editors: StreamingEditor[] = [];
  try {
    for (const docId of DOCS) {
      for (let i = 0; i < EDITORS_PER_DOC; i++) {
        editors.push(
          await StreamingEditor.open({
            url: server.url,
            userId: OWNER,
            docId,
            agent: `r${round}-${docId}-${i}-${rng.seed}`,
            rng: new SeededRandom(rng.range(0, 2 ** 31)),
            window: rng.range(1, 8),
            budget: 400,
            onAck: () => {
              if (++acks === killAfter) server.killHard();
            },
          }),
        );
      }
    }
    for (const e of editors) e.start();
    await withDeadline(server.exited, 60_000, `the server to be killed after ${killAfter} acks (${acks} so far)`);
    await withDeadline(Promise.all(editors.map((e) => e.client.closed)), 10_000, 'every editor to see the connection drop');
  } finally {
    for (const e of editors) e.close();
  }
  for (const e of editors) {
    assert.deepEqual(e.errors, [], 'no editor got an error while streaming');
    const record = records.get(e.docId)!;
    record.sent.addAll(e.sent);
    record.acked.addAll(e.acked);
    record.maxAckedVersion = Math.max(record.maxAckedVersion, e.maxAckedVersion);
  }
  assert.ok(acks >= killAfter, `the kill came after ${killAfter} acks`);
  return killAfter;
}

/** With the server down: the storage holds every acknowledged event and only events clients sent. */
async function checkStorage(target: Target, records: Map<string, DocRecord>): Promise<void> {
  const store = await target.openStore();
  try {
    for (const docId of DOCS) {
      const record = records.get(docId)!;
      const stored = await store.loadEvents(toDocId(docId), 0);
      const head = await store.head(toDocId(docId));
      assert.equal(head, stored.length, `${docId}: head equals the number of stored events`);
      stored.forEach((s, i) => assert.equal(s.version, i + 1, `${docId}: versions are gap-free`));
      assert.ok(head >= record.maxAckedVersion, `${docId}: head ${head} is at least the highest acknowledged version ${record.maxAckedVersion}`);
      const kept = new EventSet();
      kept.addAll(stored.map((s) => s.event));
      for (const e of record.acked.events()) {
        assert.equal(kept.payload(e), payloadOf(e), `${docId}: acknowledged event ${eventKey(e)} is stored unchanged`);
      }
      for (const s of stored) {
        assert.equal(record.sent.payload(s.event), payloadOf(s.event), `${docId}: stored event ${eventKey(s.event)} is one a client sent`);
      }
    }
  } finally {
    await store.close();
  }
}

/** With the server up again: what it serves is exactly the stored history, acknowledged events included. */
async function checkServed(url: string, records: Map<string, DocRecord>): Promise<void> {
  for (const docId of DOCS) {
    const record = records.get(docId)!;
    const events = await joinAs(url, docId, 'events');
    const served = new EventSet();
    served.addAll(events.events ?? []);
    assert.equal(served.size, events.version, `${docId}: one event per server version`);
    for (const e of record.acked.events()) assert.ok(served.has(e), `${docId}: acknowledged ${eventKey(e)} is served after the restart`);
    // The client-side copies of exactly the events the server kept.
    const copies = [...served.keys()].map((k) => record.sent.get(k) ?? assert.fail(`${docId}: served event ${k} was never sent`));
    const expected = contentOf(rebuild(copies));
    assert.deepEqual(contentOf(rebuild(events.events ?? [])), expected, `${docId}: the served events replay to the clients' history`);
    const ot = await joinAs(url, docId, 'ot');
    assert.equal(ot.version, events.version);
    assert.deepEqual(normalizeContent(ot.content, ot.maps), expected, `${docId}: the server's text equals the replay of the kept events`);
  }
}

async function runRounds(target: Target, log: (line: string) => void): Promise<void> {
  const seed = testSeed();
  log(`seed ${seed} (reproduce with TANDEM_SEED=${seed})`);
  const rng = new SeededRandom(seed);
  const records = new Map<string, DocRecord>(DOCS.map((d) => [d, { sent: new EventSet(), acked: new EventSet(), maxAckedVersion: 0 }]));
  let server = await spawnServer(target.args);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const killAfter = await streamUntilKilled(server, rng, round, records);
      const exit = await server.exited;
      assert.equal(exit.signal, 'SIGKILL', `round ${round}: the server died of SIGKILL\n${server.output()}`);
      await checkStorage(target, records);
      server = await spawnServer(target.args);
      await checkServed(server.url, records);
      const acked = DOCS.map((d) => records.get(d)!.acked.size).join('+');
      log(`round ${round}: killed after ${killAfter} acks; ${acked} acknowledged events survived`);
    }
  } catch (e) {
    if (e instanceof Error) e.message = `${e.message}\n(reproduce with TANDEM_SEED=${seed})\n--- server output ---\n${server.output().slice(-2000)}`;
    throw e;
  } finally {
    await server.stop();
  }
}

describe('kill -9 durability', () => {
  test('SQLite: nothing acknowledged is lost across SIGKILLs', { timeout: 180_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-durability-'));
    try {
      await runRounds({ args: ['--data-dir', dir], openStore: () => openStore(`sqlite:${join(dir, 'tandem.db')}`) }, (l) => t.diagnostic(l));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

if (await requirePostgres('durability')) {
  describe('kill -9 durability (PostgreSQL)', () => {
    test('PostgreSQL: nothing acknowledged is lost across SIGKILLs', { timeout: 180_000 }, async (t) => {
      const schema = uniqueSchema('durable');
      try {
        await runRounds(
          { args: ['--storage', POSTGRES_URL, '--storage-schema', schema], openStore: () => openStore(POSTGRES_URL, { schema }) },
          (l) => t.diagnostic(l),
        );
      } finally {
        await dropSchemas([schema]);
      }
    });
  });
}
