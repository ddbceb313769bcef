/**
 * No ghost cursors: a peer whose laptop closed (its socket silently dead) disappears from the
 * others within the server's heartbeat bound; and a client whose own link is down drops the peers
 * it can no longer vouch for after `presence.staleAfterMs`, then gets them back when it rejoins.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeClient } from './support/clients.js';
import { FaultProxy } from './support/fault-proxy.js';
import { Rng, testSeed } from './support/random.js';
import { TestServer } from './support/test-server.js';
import { waitUntil } from './support/wait.js';

let server: TestServer;
before(async () => {
  // Fast server heartbeats: a connection silent for two intervals (400 ms) is dropped.
  server = await TestServer.start({ limits: { heartbeatMs: 200 } });
});
after(async () => {
  await server.stop();
});

describe('presence liveness', () => {
  test('a peer whose socket dies silently leaves no ghost cursor', async () => {
    const rng = new Rng(testSeed('ghost cursor'));
    const proxy = await FaultProxy.start(server.port, rng);
    await server.share('ghost-1', 'ada', ['ada', 'bo']);
    const ada = makeClient(server.url, 'ada');
    const bo = makeClient(proxy.url, 'bo');
    try {
      const a = await ada.open('ghost-1');
      const b = await bo.open('ghost-1');
      await Promise.all([a.whenSynced(10_000), b.whenSynced(10_000)]);
      b.text().insert(0, 'hello');
      b.presence.setCursor({ anchor: 2, head: 4 });
      await waitUntil('ada sees bo’s selection', () => a.presence.get('bo')?.cursor?.head === 4);
      // The laptop lid closes: nothing more leaves bo's machine, and nothing says goodbye.
      proxy.halfOpen();
      bo.disconnect();
      const lostAt = performance.now();
      await waitUntil('bo is gone from ada’s view', () => a.presence.get('bo') === undefined, { timeoutMs: 5_000 });
      console.log(`# ghost cursor: gone after ${Math.round(performance.now() - lostAt)} ms (server heartbeat 200 ms)`);
    } finally {
      await Promise.all([ada.close(), bo.close()]);
      await proxy.stop();
    }
  });

  test('while its own link is down a client drops the peers it cannot vouch for, and gets them back', async () => {
    const rng = new Rng(testSeed('stale peers'));
    const proxy = await FaultProxy.start(server.port, rng);
    await server.share('stale-1', 'cy', ['cy', 'di']);
    const cy = makeClient(proxy.url, 'cy', { presence: { staleAfterMs: 300 } });
    const di = makeClient(server.url, 'di');
    try {
      const c = await cy.open('stale-1');
      const d = await di.open('stale-1');
      await Promise.all([c.whenSynced(10_000), d.whenSynced(10_000)]);
      await waitUntil('cy sees di', () => c.presence.get('di') !== undefined);
      const left: string[] = [];
      c.presence.on('leave', (p) => left.push(p.key));
      proxy.setDown(true);
      await waitUntil('cy dropped di after staleAfterMs', () => c.presence.get('di') === undefined, { timeoutMs: 5_000 });
      assert.deepEqual(left, ['di']);
      proxy.setDown(false);
      await waitUntil('cy sees di again after rejoining', () => c.presence.get('di') !== undefined, { timeoutMs: 10_000 });
    } finally {
      await Promise.all([cy.close(), di.close()]);
      await proxy.stop();
    }
  });
});
