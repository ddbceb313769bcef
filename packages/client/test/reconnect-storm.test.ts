/**
 * A reconnect storm: a few hundred clients lose the server at once (it stops, then starts again
 * on the same port and data folder). Their first reconnect attempts must be spread out by the
 * backoff's full jitter — a statement about the spread, not about how fast this machine is — and
 * every client must resume: rejoin from its last server version and sync again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TandemClient, TandemDocument } from '../src/index.js';
import { makeClient } from './support/clients.js';
import { Rng, testSeed } from './support/random.js';
import { TestServer } from './support/test-server.js';
import { waitUntil } from './support/wait.js';

const CLIENTS = 300;
const BASE_MS = 1_000;

let server: TestServer;
before(async () => {
  server = await TestServer.start();
});
after(async () => {
  await server.stop();
});

describe('reconnect storm', () => {
  test(`${CLIENTS} clients losing the server at once spread their reconnects and all resume`, { timeout: 60_000 }, async () => {
    const rng = new Rng(testSeed('reconnect storm'));
    const docId = 'storm-1';
    const users = Array.from({ length: CLIENTS }, (_, i) => `s${i}`);
    await server.share(docId, users[0]!, users);
    const clients: TandemClient[] = users.map((u) =>
      makeClient(server.url, u, {
        random: rng.fork(),
        backoff: { baseMs: BASE_MS, capMs: 4 * BASE_MS },
        // Slow heartbeats: the test is about the server going away, which every client hears at once.
        heartbeatMs: 5_000,
        heartbeatTimeoutMs: 15_000,
        connectTimeoutMs: 10_000,
        // Every link that was up when the server went away counts as healthy: its backoff starts over.
        stableAfterMs: 100,
      }),
    );
    try {
      const docs: TandemDocument[] = [];
      for (let i = 0; i < clients.length; i += 50) docs.push(...(await Promise.all(clients.slice(i, i + 50).map((c) => c.open(docId)))));
      await waitUntil('every client joined', () => docs.every((d) => d.synced), { timeoutMs: 30_000 });
      docs[0]!.text().insert(0, 'before the storm');
      await waitUntil('everyone has the first edit', () => docs.every((d) => d.text().toString() === 'before the storm' && d.synced), { timeoutMs: 20_000 });

      const firstAttempt = new Map<number, number>();
      const scheduled: number[] = [];
      clients.forEach((c, i) => {
        c.on('retry', ({ attempt, delayMs }) => {
          if (attempt === 1) scheduled.push(delayMs);
        });
        c.on('attempt', () => {
          if (!firstAttempt.has(i)) firstAttempt.set(i, performance.now());
        });
      });
      const lostAt = performance.now();
      await server.halt();
      await server.resume();
      await waitUntil('every client noticed and tried again', () => firstAttempt.size === CLIENTS, {
        timeoutMs: 20_000,
        describe: () => `${firstAttempt.size}/${CLIENTS} tried`,
      });
      await waitUntil('every client reconnected, rejoined and synced', () => clients.every((c) => c.status === 'connected') && docs.every((d) => d.synced), {
        timeoutMs: 40_000,
        describe: () => `${clients.filter((c) => c.status === 'connected').length}/${CLIENTS} connected, ${docs.filter((d) => d.synced).length} synced`,
      });

      // The spread comes from the jitter: delays drawn uniformly from [0, base).
      assert.equal(firstAttempt.size, CLIENTS, 'every client tried again');
      const offsets = [...firstAttempt.values()].map((t) => t - lostAt).sort((a, b) => a - b);
      const spread = offsets[offsets.length - 1]! - offsets[0]!;
      const bins = new Set(scheduled.map((d) => Math.min(9, Math.floor((d / BASE_MS) * 10))));
      console.log(
        `# reconnect storm: first attempts spread over ${Math.round(spread)} ms (p10 ${Math.round(offsets[Math.floor(CLIENTS * 0.1)]!)} ms, ` +
          `p50 ${Math.round(offsets[Math.floor(CLIENTS * 0.5)]!)} ms, p90 ${Math.round(offsets[Math.floor(CLIENTS * 0.9)]!)} ms); ` +
          `${clients.reduce((n, c) => n + c.metrics.reconnects, 0)} reconnects`,
      );
      assert.equal(scheduled.length, CLIENTS);
      assert.ok(scheduled.every((d) => d >= 0 && d < BASE_MS), 'first delays lie in [0, base)');
      assert.equal(bins.size, 10, 'first delays cover every tenth of [0, base)');
      assert.ok(spread >= BASE_MS / 2, `first attempts spread over at least half the base delay (got ${Math.round(spread)} ms)`);

      // Everyone resumed from where they were: one more edit reaches them all.
      docs[CLIENTS - 1]!.text().insert(0, 'after: ');
      await waitUntil('everyone has the edit made after the storm', () => docs.every((d) => d.text().toString() === 'after: before the storm'), { timeoutMs: 20_000 });
      const onServer = await server.text(docId);
      assert.equal(onServer.text, 'after: before the storm');
      assert.equal(onServer.version, 2);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
