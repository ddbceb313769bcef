/**
 * End-to-end, peer-to-peer: two real Chromium contexts (Alice and Bob) on one document link
 * directly over WebRTC data channels (host candidates on this machine) beside the real server.
 * A: the link opens, both type, the texts converge, some of the other's events arrive first over
 * the link, and the performance dashboard lists the peer as P2P with its round trip.
 * B: the data channels are cut (by a wrapper around the browser's RTCPeerConnection installed
 * before the app loads): live links go silent, new ones never open. Edits still converge through
 * the server, nothing lost or duplicated, and the peer shows as "via server".
 * Screenshots of the dashboard go to test-output/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { docPath, openDoc, signedInContext, typeAt, waitEditor, waitSynced, waitText } from './support/app.js';
import { launchBrowser, skipReason, snap } from './support/browser.js';
import { installChannelCut } from './support/channel-cut.js';
import { E2eServer } from './support/server.js';

/** Link set-up, silence detection (3 pings of 2 s) and a retry fit well inside this. */
const LINK_TIMEOUT = 30_000;

/** Waits until this page's view of `userId` on the open document uses `transport` (for all of that user's connections). */
async function waitTransport(page: Page, userId: string, transport: 'p2p' | 'server', timeout = LINK_TIMEOUT): Promise<void> {
  try {
    await page.waitForFunction(
      ([user, want]) => {
        const peers = window.tandem?.p2p().peers.filter((p) => p.userId === user) ?? [];
        return peers.length > 0 && (want === 'p2p' ? peers.some((p) => p.transport === 'p2p') : peers.every((p) => p.transport === 'server'));
      },
      [userId, transport] as const,
      { timeout, polling: 100 },
    );
  } catch (err) {
    const peers = await page.evaluate(() => window.tandem?.p2p().peers);
    throw new Error(`${userId} never reached transport ${transport}; peers: ${JSON.stringify(peers)}: ${String(err)}`);
  }
}

function p2p(page: Page): Promise<TandemP2PMetrics> {
  return page.evaluate(() => window.tandem!.p2p());
}

/** Opens the performance dashboard and waits for `userId`'s row in the direct-links table with `transport`. */
async function dashboardRow(page: Page, userId: string, transport: 'p2p' | 'server') {
  await page.getByRole('button', { name: 'Performance' }).click();
  const panel = page.getByTestId('perf-panel');
  const row = panel.getByTestId('p2p-peers').locator(`tr[data-peer="${userId}"][data-transport="${transport}"]`);
  await row.waitFor({ timeout: 10_000 });
  // The panel scrolls: bring the direct-links section into sight for the screenshots.
  await panel.getByTestId('p2p-panel').evaluate((el) => el.scrollIntoView({ block: 'end' }));
  return { panel, row };
}

describe('web app, peer-to-peer', { skip: skipReason() }, () => {
  let server: E2eServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  /** A signed-in context for `name`; with `cut` the data-channel cut is installed (on from the start when `cut` is 'blocked'). */
  const person = async (name: string, cut?: 'open' | 'blocked'): Promise<Page> => {
    // Tall enough for the whole dashboard section in the screenshots.
    const context = await browser.newContext({ viewport: { width: 1100, height: 860 } });
    contexts.push(context);
    if (cut !== undefined) await context.addInitScript(installChannelCut, cut === 'blocked');
    return signedInContext(context, server.origin, name);
  };

  before(async () => {
    server = await E2eServer.start();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  test('A: a direct link opens, edits converge and arrive over it first', async () => {
    const doc = 'p2p-direct';
    await server.createDoc(doc, 'alice', ['bob']);
    const alice = await person('Alice');
    const bob = await person('Bob');
    await openDoc(alice, server.origin, doc);
    await openDoc(bob, server.origin, doc);
    await Promise.all([waitTransport(alice, 'bob', 'p2p'), waitTransport(bob, 'alice', 'p2p')]);
    assert.equal((await p2p(alice)).enabled, true);

    // Both type at once, in different places of an empty document.
    await typeAt(alice, 0, 'Alice writes first.\n', 20);
    await waitText(bob, 'Alice writes first.\n');
    await Promise.all([typeAt(alice, 0, 'Top line by Alice. ', 25), typeAt(bob, 'Alice writes first.\n'.length, 'Bob adds the end.', 25)]);
    const expected = 'Top line by Alice. Alice writes first.\nBob adds the end.';
    await waitText(alice, expected);
    await waitText(bob, expected);
    await Promise.all([waitSynced(alice), waitSynced(bob)]);
    assert.equal(await server.text(doc), expected);

    // Some of each one's events reached the other over the link before the server's copy.
    const [a, b] = await Promise.all([p2p(alice), p2p(bob)]);
    console.log(`alice: ${a.eventsViaP2P} events first via P2P, ${a.eventsViaServer} via server; bob: ${b.eventsViaP2P} via P2P, ${b.eventsViaServer} via server`);
    assert.ok(a.eventsViaP2P > 0, `Alice got Bob's events first over the link (via P2P ${a.eventsViaP2P}, via server ${a.eventsViaServer})`);
    assert.ok(b.eventsViaP2P > 0, `Bob got Alice's events first over the link (via P2P ${b.eventsViaP2P}, via server ${b.eventsViaServer})`);
    const bobSeenByAlice = a.peers.find((p) => p.userId === 'bob' && p.transport === 'p2p');
    assert.ok(bobSeenByAlice !== undefined && bobSeenByAlice.state === 'open' && bobSeenByAlice.setupMs !== undefined, `Alice's record of Bob: ${JSON.stringify(bobSeenByAlice)}`);
    assert.ok(bobSeenByAlice.eventsReceived > 0 && bobSeenByAlice.eventsSent > 0, `events went both ways over the link: ${JSON.stringify(bobSeenByAlice)}`);
    assert.equal(a.refused + a.invalid + b.refused + b.invalid, 0, 'nothing refused or invalid between two editors');

    // The avatar says Bob is linked directly.
    await alice.locator('.presence .avatar[data-user="bob"][data-direct="true"]').waitFor();

    // The dashboard: Bob's row says P2P, with a data-channel round trip once pings came back.
    const { panel, row } = await dashboardRow(alice, 'bob', 'p2p');
    assert.equal(await row.locator('[data-cell="transport"]').textContent(), 'P2P');
    await alice.waitForFunction(() => (window.tandem?.p2p().peers.find((p) => p.userId === 'bob')?.rtt.count ?? 0) > 0, undefined, { timeout: LINK_TIMEOUT, polling: 100 });
    await row.locator('td', { hasText: /^\d+ ms$/ }).first().waitFor();
    const viaP2P = Number(await panel.locator('[data-stat="via-p2p"] .stat-value').textContent());
    assert.ok(viaP2P > 0, `the dashboard counts events first via P2P (${viaP2P})`);
    await snap(alice, 'performance-p2p');
  });

  test('B: a cut data channel falls back to the server, nothing lost or duplicated', async () => {
    const doc = 'p2p-cut';
    await server.createDoc(doc, 'alice', ['bob']);
    const alice = await person('Alice', 'open');
    const bob = await person('Bob', 'open');
    await openDoc(alice, server.origin, doc);
    await openDoc(bob, server.origin, doc);
    await Promise.all([waitTransport(alice, 'bob', 'p2p'), waitTransport(bob, 'alice', 'p2p')]);
    await typeAt(alice, 0, 'Before the cut.', 20);
    await waitText(bob, 'Before the cut.');
    await Promise.all([waitSynced(alice), waitSynced(bob)]);

    // The path dies: both links look open but nothing gets through, and no new link can open.
    for (const page of [alice, bob]) await page.evaluate(() => void (window.tandemCut!.blocked = true));
    const before = await Promise.all([p2p(alice), p2p(bob)]);
    // Typed while the SDK still believes in the link: these frames are lost, the server's copies are not.
    await Promise.all([typeAt(alice, 0, 'Alice during. ', 25), typeAt(bob, 'Before the cut.'.length, ' Bob during.', 25)]);
    const during = 'Alice during. Before the cut. Bob during.';
    await waitText(alice, during);
    await waitText(bob, during);
    await Promise.all([waitSynced(alice), waitSynced(bob)]);
    assert.equal(await server.text(doc), during);
    const dropped = await alice.evaluate(() => window.tandemCut!.dropped);
    assert.ok(dropped > 0, `the cut dropped live frames (${dropped})`);

    // Silence gives the link up; the peers now reach each other through the server only.
    await Promise.all([waitTransport(alice, 'bob', 'server'), waitTransport(bob, 'alice', 'server')]);
    await Promise.all([typeAt(alice, during.length, ' Alice after.', 20), typeAt(bob, 0, 'Bob after. ', 20)]);
    const final = 'Bob after. Alice during. Before the cut. Bob during. Alice after.';
    await waitText(alice, final);
    await waitText(bob, final);
    await Promise.all([waitSynced(alice), waitSynced(bob)]);
    assert.equal(await server.text(doc), final);

    const after = await Promise.all([p2p(alice), p2p(bob)]);
    for (const [i, name] of ['alice', 'bob'].entries()) {
      const m = after[i]!;
      assert.ok(m.eventsViaServer > before[i]!.eventsViaServer, `${name} received events through the server after the cut (${before[i]!.eventsViaServer} → ${m.eventsViaServer})`);
      for (const p of m.peers) assert.equal(p.transport, 'server', `${name}'s peer ${p.userId}: ${JSON.stringify(p)}`);
    }
    const bobOnAlice = after[0]!.peers.find((p) => p.userId === 'bob');
    console.log(`after the cut, Alice's record of Bob: state ${bobOnAlice?.state}, ${bobOnAlice?.attempts} attempts, last error ${JSON.stringify(bobOnAlice?.lastError)}; frames dropped by the cut: ${dropped}`);

    await alice.locator('.presence .avatar[data-user="bob"][data-direct="false"]').waitFor();
    const { row } = await dashboardRow(alice, 'bob', 'server');
    assert.equal(await row.locator('[data-cell="transport"]').textContent(), 'via server');
    await snap(alice, 'performance-p2p-fallback');
  });

  test('B: data channels blocked from the start: no link ever opens, edits go through the server', async () => {
    const doc = 'p2p-blocked';
    await server.createDoc(doc, 'alice', ['bob']);
    const alice = await person('Alice', 'blocked');
    const bob = await person('Bob', 'blocked');
    await openDoc(alice, server.origin, doc);
    await openDoc(bob, server.origin, doc);
    // A link was tried (a data channel made) and given up at its set-up deadline.
    await alice.waitForFunction(() => window.tandem?.p2p().peers.some((p) => p.userId === 'bob' && p.attempts > 0 && p.lastError !== undefined) === true, undefined, { timeout: LINK_TIMEOUT, polling: 100 });
    assert.ok((await alice.evaluate(() => window.tandemCut!.channels)) + (await bob.evaluate(() => window.tandemCut!.channels)) > 0, 'a data channel was made');
    const given = (await p2p(alice)).peers.find((p) => p.userId === 'bob');
    console.log(`blocked from the start, Alice's record of Bob: state ${given?.state}, ${given?.attempts} attempts, last error ${JSON.stringify(given?.lastError)}`);

    await typeAt(alice, 0, 'From Alice.', 20);
    await waitText(bob, 'From Alice.');
    await Promise.all([typeAt(alice, 0, 'A: ', 25), typeAt(bob, 'From Alice.'.length, ' And Bob.', 25)]);
    const text = 'A: From Alice. And Bob.';
    await waitText(alice, text);
    await waitText(bob, text);
    await Promise.all([waitSynced(alice), waitSynced(bob)]);
    assert.equal(await server.text(doc), text);
    const [a, b] = await Promise.all([p2p(alice), p2p(bob)]);
    assert.equal(a.eventsViaP2P + b.eventsViaP2P, 0, 'nothing came over a link');
    assert.ok(a.eventsViaServer > 0 && b.eventsViaServer > 0, 'the server delivered the other one’s events');
    for (const m of [a, b]) for (const p of m.peers) assert.equal(p.transport, 'server', JSON.stringify(p));
  });

  test('?p2p=off turns direct links off (remembered); the dashboard switch turns them on again', async () => {
    const doc = 'p2p-switch';
    await server.createDoc(doc, 'dana');
    const dana = await person('Dana');
    await dana.goto(`${server.origin}${docPath(doc)}?p2p=off`);
    await waitEditor(dana);
    assert.equal((await p2p(dana)).enabled, false);
    // Remembered: the next page load without the flag stays off.
    await openDoc(dana, server.origin, doc);
    assert.equal((await p2p(dana)).enabled, false);
    await dana.getByRole('button', { name: 'Performance' }).click();
    const section = dana.getByTestId('p2p-panel');
    await section.getByText('Off: every edit goes through the server.').waitFor();
    const toggle = section.getByTestId('p2p-toggle');
    assert.equal(await toggle.isChecked(), false);
    // Switching it on reloads the page with a client that has P2P.
    await Promise.all([dana.waitForEvent('load'), toggle.click()]);
    await waitEditor(dana);
    assert.equal((await p2p(dana)).enabled, true);
  });
});
