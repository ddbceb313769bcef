/**
 * Clients behind a fault-injecting TCP proxy of our own (seeded latency and jitter, dropped
 * connections, stalls, half-open sockets): seeded random runs of edits plus faults end with every
 * replica and the server equal, no local edit lost and none applied twice. Each client writes
 * unique tokens into a text no one deletes from, so loss and duplication are both visible; and the
 * server must hold exactly as many events as the clients made.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TandemClient, TandemDocument } from '../src/index.js';
import { makeClient } from './support/clients.js';
import { FaultProxy } from './support/fault-proxy.js';
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

const TOKEN = /<c\d+\.\d+>/g;

/** Inserts a unique token at a token boundary of text "log" (so tokens never split each other). */
function insertToken(rng: Rng, doc: TandemDocument, token: string): void {
  const log = doc.text('log');
  const text = log.toString();
  const boundaries = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '>') boundaries.push(i + 1);
  log.insert(rng.pick(boundaries), token);
}

function randomBodyEdit(rng: Rng, doc: TandemDocument): void {
  const body = doc.text('body');
  if (body.length > 0 && rng.bool(0.35)) {
    const pos = rng.int(body.length);
    body.delete(pos, Math.min(body.length - pos, 1 + rng.int(3)));
  } else {
    body.insert(rng.int(body.length + 1), rng.pick(['a', 'b', 'cd', 'efg', ' ']));
  }
}

async function runScenario(seedName: string, docId: string, steps: number, network: { latencyMs: number; jitterMs: number }): Promise<void> {
  const rng = new Rng(testSeed(seedName));
  const proxy = await FaultProxy.start(server.port, rng, network);
  const users = ['c0', 'c1', 'c2', 'c3'];
  await server.share(docId, 'c0', users);
  const clients: TandemClient[] = users.map((u) => makeClient(proxy.url, u, { random: rng.fork() }));
  try {
    const docs = await Promise.all(clients.map((c) => c.open(docId)));
    await Promise.all(docs.map((d) => d.whenSynced(10_000)));
    const written: string[][] = users.map(() => []);
    for (let step = 0; step < steps; step++) {
      const who = rng.int(docs.length);
      const doc = docs[who]!;
      if (rng.bool(0.6)) {
        const token = `<c${who}.${written[who]!.length}>`;
        written[who]!.push(token);
        insertToken(rng, doc, token);
      } else {
        randomBodyEdit(rng, doc);
      }
      const fault = rng.next();
      if (fault < 0.04) proxy.drop();
      else if (fault < 0.07) proxy.stall(50 + rng.int(600));
      else if (fault < 0.085) proxy.halfOpen();
      await pause(rng.int(12));
    }
    const logs = (): string[] => docs.map((d) => d.text('log').toString());
    const bodies = (): string[] => docs.map((d) => d.text('body').toString());
    await waitUntil('all clients connected, synced and equal', () => docs.every((d) => d.synced) && new Set(logs()).size === 1 && new Set(bodies()).size === 1, {
      timeoutMs: 30_000,
      describe: () =>
        `status ${clients.map((c) => c.status).join(',')}; pending ${docs.map((d) => d.pendingCount).join(',')}; ` +
        `distinct logs ${new Set(logs()).size}; proxy ${JSON.stringify(proxy.stats)}`,
    });
    const log = logs()[0]!;
    const tokens = log.match(TOKEN) ?? [];
    assert.equal(tokens.join(''), log, 'the log holds nothing but whole tokens');
    const expected = written.flat();
    assert.equal(tokens.length, expected.length, 'no token lost, none duplicated');
    assert.deepEqual([...tokens].sort(), [...expected].sort());
    const onServer = await server.text(docId, 'log');
    assert.equal(onServer.text, log);
    assert.equal((await server.text(docId, 'body')).text, bodies()[0]);
    // Every event the clients made is stored exactly once.
    const made = docs.reduce((n, d) => n + (d.replica.vector[d.replica.agent] ?? 0), 0);
    assert.equal(onServer.version, made, 'server holds exactly the events the clients made');
    const reconnects = clients.reduce((n, c) => n + c.metrics.reconnects, 0);
    console.log(`# ${seedName}: ${steps} steps, faults ${JSON.stringify(proxy.stats)}, ${reconnects} reconnects, ${made} events`);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await proxy.stop();
  }
}

describe('edits through a faulty network', () => {
  test('seeded run on a fast link: drops, stalls, half-open sockets', async () => {
    await runScenario('fault-proxy fast link', 'faults-1', 220, { latencyMs: 1, jitterMs: 6 });
  });

  test('seeded run on a slow, jittery link (acks often in flight when the link drops)', async () => {
    await runScenario('fault-proxy slow link', 'faults-2', 220, { latencyMs: 15, jitterMs: 30 });
  });
});
