/**
 * End-to-end, offline: a browser context taken offline keeps editing and syncs when it comes
 * back; a page reloaded while offline (the service worker serves the app, IndexedDB the document)
 * still has its unsent edits and sends them later; two tabs of one context keep editing together
 * while the server is down, and the server gets everything when it returns.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { editorText, openDoc, signedInContext, typeAt, waitEditor, waitSynced, waitText, waitTextMatching } from './support/app.js';
import { launchBrowser, skipReason, snap } from './support/browser.js';
import { E2eServer } from './support/server.js';

const DOC = 'field-notes';

async function grant(server: E2eServer, docId: string, owner: string, user: string): Promise<void> {
  const r = await fetch(`${server.origin}/api/docs/${encodeURIComponent(docId)}/collaborators/${user}`, {
    method: 'PUT',
    headers: { 'x-tandem-user': owner, 'content-type': 'application/json' },
    body: JSON.stringify({ level: 'editor' }),
  });
  assert.equal(r.status, 200, await r.text());
}

/** The connection indicator's state in the page. */
function connection(page: Page): Promise<{ status: string | null; pending: string | null }> {
  return page.locator('.connection').evaluate((el) => ({ status: el.getAttribute('data-status'), pending: el.getAttribute('data-pending') }));
}

async function waitStatus(page: Page, ok: (status: string) => boolean, what: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    (statuses) => {
      const s = document.querySelector('.connection')?.getAttribute('data-status') ?? '';
      return statuses.includes(s);
    },
    ['connecting', 'connected', 'offline', 'reconnecting'].filter(ok),
    { timeout, polling: 100 },
  ).catch((err: unknown) => {
    throw new Error(`connection never became ${what}: ${String(err)}`);
  });
}

/**
 * Waits until the service worker controls the page (the app shell is cached). A first install can
 * fail on its own (one precache fetch failing discards the worker, and the browser only tries again
 * on a later registration), as a user's would; then the page registers it again and is reloaded once,
 * as the user's next visit would. The state seen is in the error if it still never takes control.
 */
async function waitServiceWorker(page: Page): Promise<void> {
  const controlled = (timeout: number): Promise<boolean> =>
    page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout }).then(
      () => true,
      () => false,
    );
  if (await controlled(15_000)) return;
  const state = await page.evaluate(async () => {
    const before = await navigator.serviceWorker.getRegistration();
    const seen = `registration ${before === undefined ? 'none' : `installing=${before.installing?.state ?? '-'} waiting=${before.waiting?.state ?? '-'} active=${before.active?.state ?? '-'}`}`;
    const registration = await navigator.serviceWorker.register('/sw.js');
    await navigator.serviceWorker.ready;
    return `${seen}; after registering again: active=${registration.active?.state ?? '-'}`;
  });
  await page.reload();
  if (await controlled(15_000)) return;
  throw new Error(`the service worker never took control of the page (was apps/web/dist rebuilt meanwhile?): ${state}`);
}

describe('web app, offline', { skip: skipReason() }, () => {
  let server: E2eServer;
  let browser: Browser;
  let aliceContext: BrowserContext;
  let bobContext: BrowserContext;
  let alice: Page;
  let bob: Page;

  before(async () => {
    server = await E2eServer.start();
    browser = await launchBrowser();
    aliceContext = await browser.newContext({ viewport: { width: 1000, height: 680 } });
    bobContext = await browser.newContext({ viewport: { width: 1000, height: 680 } });
    alice = await signedInContext(aliceContext, server.origin, 'Alice');
    await openDoc(alice, server.origin, DOC);
    await typeAt(alice, 0, 'Observations\n');
    await waitSynced(alice);
    await grant(server, DOC, 'alice', 'bob');
    bob = await signedInContext(bobContext, server.origin, 'Bob');
    await openDoc(bob, server.origin, DOC);
    await waitText(bob, 'Observations\n');
    await waitServiceWorker(bob);
    await waitText(bob, 'Observations\n');
  });
  after(async () => {
    await aliceContext?.close().catch(() => undefined);
    await bobContext?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  test('a context taken offline keeps editing, and syncs when it is back', async () => {
    await bobContext.setOffline(true);
    await waitStatus(bob, (s) => s !== 'connected', 'disconnected');
    await typeAt(bob, 13, 'Bob, offline: heron at dawn.\n');
    await typeAt(alice, 13, 'Alice, online: two otters.\n');
    await waitSynced(alice);
    // Bob's edit stays on his side, counted as unsent; Alice's has not reached him.
    assert.ok(!(await editorText(alice)).includes('heron'), "Alice cannot have Bob's offline edit");
    assert.ok(!(await editorText(bob)).includes('otters'), "Bob cannot have Alice's edit while offline");
    const offline = await connection(bob);
    assert.ok(Number(offline.pending) > 0, `pending count shown while offline: ${JSON.stringify(offline)}`);
    await snap(bob, 'offline-editing');

    await bobContext.setOffline(false);
    await waitStatus(bob, (s) => s === 'connected', 'connected');
    const both = (t: string): boolean => t.includes('heron at dawn') && t.includes('two otters');
    const merged = await waitTextMatching(bob, both, 'merged both edits');
    await waitText(alice, merged);
    await waitSynced(bob);
    assert.equal(await server.text(DOC), merged);
  });

  test('a page reloaded while offline keeps its unsent edits and sends them later', async () => {
    await bobContext.setOffline(true);
    await waitStatus(bob, (s) => s !== 'connected', 'disconnected');
    const before = await editorText(bob);
    await typeAt(bob, before.length, 'Unsent: kingfisher by the bridge.');
    // The SDK writes unsent edits to IndexedDB right away; give the write a moment to commit.
    await bob.waitForTimeout(300);
    await bob.reload();
    await waitEditor(bob);
    await waitTextMatching(bob, (t) => t.includes('Unsent: kingfisher by the bridge.'), 'kept the unsent edit after the reload');
    assert.notEqual((await connection(bob)).status, 'connected');
    await snap(bob, 'offline-after-reload');

    await bobContext.setOffline(false);
    await waitSynced(bob, 20_000);
    await waitTextMatching(alice, (t) => t.includes('kingfisher'), 'received the edit made before the reload');
    assert.ok((await server.text(DOC)).includes('Unsent: kingfisher by the bridge.'));
  });

  test('two tabs of one context keep editing together while the server is down', async () => {
    const tab2 = await bobContext.newPage();
    await openDoc(tab2, server.origin, DOC);
    const start = await editorText(bob);
    await waitText(tab2, start);

    await server.halt();
    await waitStatus(bob, (s) => s !== 'connected', 'disconnected');
    await waitStatus(tab2, (s) => s !== 'connected', 'disconnected');
    await typeAt(bob, 0, 'Tab one. ');
    await waitTextMatching(tab2, (t) => t.startsWith('Tab one. '), "showed tab one's edit");
    const afterOne = await editorText(tab2);
    await typeAt(tab2, afterOne.length, ' Tab two.');
    await waitText(bob, `${afterOne} Tab two.`);
    await snap(tab2, 'two-tabs-server-down');

    await server.resume();
    await Promise.all([waitSynced(bob, 30_000), waitSynced(tab2, 30_000)]);
    const final = `${afterOne} Tab two.`;
    await waitText(alice, final, 30_000);
    assert.equal(await server.text(DOC), final);
    await tab2.close();
  });
});
