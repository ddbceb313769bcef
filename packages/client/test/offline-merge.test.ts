/**
 * Long offline branches: two clients lose the server, each makes thousands of edits, then they
 * come back one after the other. Every edit survives exactly once, everyone converges with the
 * server, and each client reports how large its merge was.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MergeReport, TandemDocument } from '../src/index.js';
import { makeClient } from './support/clients.js';
import { FaultProxy } from './support/fault-proxy.js';
import { Rng, testSeed } from './support/random.js';
import { TestServer } from './support/test-server.js';
import { waitUntil } from './support/wait.js';

let server: TestServer;
before(async () => {
  server = await TestServer.start();
});
after(async () => {
  await server.stop();
});

const OFFLINE_EDITS = 2_500;
const TOKEN = /<[ab]\d+>/g;

/** `count` edits: unique tokens at token boundaries, every fourth edit typed into "body" instead. */
function editOffline(rng: Rng, doc: TandemDocument, who: 'a' | 'b', count: number): string[] {
  const tokens: string[] = [];
  const boundaries = [0];
  for (let i = 0; i < count; i++) {
    if (i % 4 === 3) {
      const body = doc.text('body');
      body.insert(rng.int(body.length + 1), who);
      continue;
    }
    const token = `<${who}${i}>`;
    const at = rng.pick(boundaries);
    doc.text('log').insert(at, token);
    // Boundaries after the insertion point shift by the token's length; the new token adds one.
    for (let k = 0; k < boundaries.length; k++) if (boundaries[k]! > at) boundaries[k]! += token.length;
    boundaries.push(at + token.length);
    tokens.push(token);
  }
  return tokens;
}

describe('offline for thousands of events', () => {
  test('two long offline branches merge without loss, and the merge size is reported', async () => {
    const rng = new Rng(testSeed('offline merge'));
    const proxyA = await FaultProxy.start(server.port, rng);
    const proxyB = await FaultProxy.start(server.port, rng);
    await server.share('offline-1', 'a', ['a', 'b']);
    const clientA = makeClient(proxyA.url, 'a', { random: rng.fork() });
    const clientB = makeClient(proxyB.url, 'b', { random: rng.fork() });
    try {
      const a = await clientA.open('offline-1');
      await a.whenSynced(10_000);
      a.text('body').insert(0, '|');
      await a.whenSynced(10_000);
      const b = await clientB.open('offline-1');
      await b.whenSynced(10_000);
      assert.equal(b.text('body').toString(), '|');
      const merges: { a: MergeReport[]; b: MergeReport[] } = { a: [], b: [] };
      a.on('merge', (m) => merges.a.push(m));
      b.on('merge', (m) => merges.b.push(m));

      proxyA.setDown(true);
      proxyB.setDown(true);
      await waitUntil('both clients offline', () => clientA.status !== 'connected' && clientB.status !== 'connected');
      const tokensA = editOffline(rng, a, 'a', OFFLINE_EDITS);
      const tokensB = editOffline(rng, b, 'b', OFFLINE_EDITS);
      assert.equal(a.pendingCount, OFFLINE_EDITS);
      assert.equal(b.pendingCount, OFFLINE_EDITS);

      proxyA.setDown(false);
      await a.whenSynced(30_000);
      proxyB.setDown(false);
      await b.whenSynced(30_000);
      await waitUntil('both replicas equal', () => a.text('log').toString() === b.text('log').toString() && a.text('body').toString() === b.text('body').toString() && a.synced, {
        timeoutMs: 30_000,
      });

      assert.deepEqual(merges.a[0], { remoteEvents: 0, localEvents: OFFLINE_EDITS, initial: false });
      assert.deepEqual(merges.b[0], { remoteEvents: OFFLINE_EDITS, localEvents: OFFLINE_EDITS, initial: false });

      const log = a.text('log').toString();
      const tokens = log.match(TOKEN) ?? [];
      assert.equal(tokens.join(''), log);
      assert.deepEqual([...tokens].sort(), [...tokensA, ...tokensB].sort(), 'every offline edit survives exactly once');
      const body = a.text('body').toString();
      assert.equal(body.length, 1 + 2 * (OFFLINE_EDITS / 4));
      const onServer = await server.text('offline-1', 'log');
      assert.equal(onServer.text, log);
      assert.equal(onServer.version, 1 + 2 * OFFLINE_EDITS, 'each event stored once');
      assert.equal((await server.text('offline-1', 'body')).text, body);
    } finally {
      await Promise.all([clientA.close(), clientB.close()]);
      await Promise.all([proxyA.stop(), proxyB.stop()]);
    }
  });
});
