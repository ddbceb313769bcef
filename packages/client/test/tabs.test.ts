/**
 * Tabs of one profile (clients of one user sharing a BroadcastTabChannel; Node 20 has a global
 * BroadcastChannel): edits and presence reach the other tabs at once, even with no server; a tab
 * opened later gets the edits the server has not confirmed; and an edit whose tab closed before it
 * could send it still reaches the server, once, through another tab.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BroadcastTabChannel, MemoryStorage } from '../src/index.js';
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

describe('tabs of one profile', () => {
  test('edits and presence cross tabs offline; a late tab catches up; an orphaned edit is sent once', async () => {
    const rng = new Rng(testSeed('tabs'));
    const proxy = await FaultProxy.start(server.port, rng);
    const channel = `tabs-test-${rng.int(1e9)}`;
    // Injected channels belong to the caller, which closes them (an open BroadcastChannel keeps Node running).
    const channels: BroadcastTabChannel[] = [];
    // Tabs of one profile share one store (IndexedDB in a browser).
    const storage = new MemoryStorage();
    const tab = (): ReturnType<typeof makeClient> => {
      const tabs = new BroadcastTabChannel({ name: channel });
      channels.push(tabs);
      return makeClient(proxy.url, 'tess', { tabs, storage, tabGraceMs: 300, stateSaveDelayMs: 20, random: rng.fork() });
    };
    const tabA = tab();
    const tabB = tab();
    let tabC: ReturnType<typeof makeClient> | undefined;
    try {
      const a = await tabA.open('tabs-1');
      const b = await tabB.open('tabs-1');
      await Promise.all([a.whenSynced(10_000), b.whenSynced(10_000)]);
      a.text().insert(0, 'online. ');
      await waitUntil('tab B has the online edit', () => b.text().toString() === 'online. ');
      await a.whenSynced(10_000);
      let saved = false;
      await waitUntil('the confirmed state is in the shared store', () => {
        void storage.loadServerState('tabs-1').then((s) => (saved = s?.serverVersion === 1));
        return saved;
      });

      proxy.setDown(true);
      await waitUntil('both tabs offline', () => tabA.status !== 'connected' && tabB.status !== 'connected');
      a.text().insert(a.text().length, 'from A. ');
      await waitUntil('tab B shows A’s offline edit', () => b.text().toString() === 'online. from A. ');
      b.text().insert(b.text().length, 'from B.');
      await waitUntil('tab A shows B’s offline edit', () => a.text().toString() === 'online. from A. from B.');
      a.presence.setCursor({ anchor: 3, head: 3 });
      await waitUntil('tab B sees tab A’s cursor', () => b.presence.others.some((p) => p.via === 'tab' && p.cursor?.anchor === 3));

      // A tab opened now starts from the shared store and gets the unconfirmed edits from the open tabs.
      tabC = tab();
      const c = await tabC.open('tabs-1');
      await waitUntil('tab C has the unconfirmed edits', () => c.text().toString() === 'online. from A. from B.');

      // Tab A closes before it could send its edit: the others send it once the grace period passes.
      await tabA.close();
      proxy.setDown(false);
      await Promise.all([b.whenSynced(15_000), c.whenSynced(15_000)]);
      const onServer = await server.text('tabs-1');
      assert.equal(onServer.text, 'online. from A. from B.');
      assert.equal(onServer.version, 3, 'each event stored once');
      await waitUntil('tab A’s presence is gone from B', () => !b.presence.others.some((p) => p.via === 'tab' && p.cursor?.anchor === 3));
    } finally {
      await Promise.all([tabA.close(), tabB.close(), tabC?.close()]);
      for (const c of channels) c.close();
      await proxy.stop();
    }
  });
});
