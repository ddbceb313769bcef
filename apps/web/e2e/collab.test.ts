/**
 * End-to-end, online: real Chromium contexts (one per person) against a real server serving the
 * built app. Alice creates a document and shares it with Bob through the share dialog; they type
 * at the same time and converge; each sees the other's cursor and selection where they are; a
 * viewer link opens read-only and cannot edit; a named version is compared and restored; the
 * performance dashboard shows live numbers. Screenshots of each screen go to test-output/, and
 * the two-users picture for the README to docs/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { editorText, eventually, openDoc, remoteCaretPos, remoteSelectionText, select, signedInContext, signIn, typeAt, waitEditor, waitSynced, waitText, waitTextMatching } from './support/app.js';
import { launchBrowser, skipReason, snap } from './support/browser.js';
import { sideBySide } from './support/composite.js';
import { DOCS } from './support/paths.js';
import { E2eServer } from './support/server.js';

const DOC = 'meeting-notes';

describe('web app, online', { skip: skipReason() }, () => {
  let server: E2eServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let alice: Page;
  let bob: Page;

  const newContext = async (): Promise<BrowserContext> => {
    const c = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    contexts.push(c);
    return c;
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

  test('two people edit one document at the same time and converge', async () => {
    const aliceContext = await newContext();
    alice = await aliceContext.newPage();
    await alice.goto(server.origin);
    await alice.getByRole('textbox', { name: 'Display name' }).waitFor();
    await snap(alice, 'sign-in');
    await signIn(alice, server.origin, 'Alice');
    await alice.getByText('No documents yet').waitFor();
    await snap(alice, 'doc-list-empty');

    // Alice creates the document and writes its first line.
    await alice.getByPlaceholder('New document name (optional)').fill(DOC);
    await alice.getByRole('button', { name: 'New document' }).click();
    await waitEditor(alice);
    await typeAt(alice, 0, 'Hello world\n');
    await waitSynced(alice);

    // She shares it with Bob (user id "bob") as an editor through the share dialog.
    await alice.getByRole('button', { name: 'Share', exact: true }).click();
    const dialog = alice.getByRole('dialog');
    await dialog.getByPlaceholder('User id, e.g. bob').fill('bob');
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByTestId('grants').getByText('bob', { exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Bob finds it in his list and opens it.
    bob = await signedInContext(await newContext(), server.origin, 'Bob');
    await bob.getByTestId('doc-list').getByText(DOC).waitFor();
    await snap(bob, 'doc-list');
    await bob.getByTestId('doc-list').getByText(DOC).click();
    await waitEditor(bob);
    await waitText(bob, 'Hello world\n');

    // Both type at once, in different places.
    await Promise.all([typeAt(alice, 5, ' there', 25), typeAt(bob, 12, 'Bob was here.', 25)]);
    const expected = 'Hello there world\nBob was here.';
    await waitText(alice, expected);
    await waitText(bob, expected);
    await Promise.all([waitSynced(alice), waitSynced(bob)]);
    assert.equal(await server.text(DOC), expected);

    // Interleaved typing at the same spot converges too (whatever order the merge picks).
    await Promise.all([typeAt(alice, 0, 'AAAA', 30), typeAt(bob, 0, 'BBBB', 30)]);
    // Both inserted at 0: the merge puts one run before the other or interleaves them, but both
    // sides must pick the same result, and the rest of the text is untouched.
    const [merged] = await eventually(
      async () => [await editorText(alice), await editorText(bob)] as const,
      ([a, b]) => a === b && a.length === expected.length + 8,
      'both editors converge on the concurrent inserts',
    );
    assert.equal(merged.slice(8), expected);
    assert.deepEqual([...merged.slice(0, 8)].sort().join(''), 'AAAABBBB');
    await Promise.all([waitSynced(alice), waitSynced(bob)]);
    assert.equal(await server.text(DOC), merged);
    // Back to a known text for the next tests.
    await select(alice, 0, 8);
    await alice.keyboard.press('Backspace');
    await waitText(bob, expected);
  });

  test("each sees the other's cursor and selection at the right place, and who is typing", async () => {
    const text = await editorText(alice);
    // Alice selects "there" (a one-line selection)…
    const start = text.indexOf('there');
    await select(alice, start, start + 5);
    await eventually(() => remoteSelectionText(bob, 'alice'), (s) => s === 'there', "Bob sees Alice's selection");
    assert.equal(await remoteCaretPos(bob, 'alice'), start + 5);
    // …then across both lines, backwards (head before anchor).
    await select(alice, text.length - 4, 2);
    await eventually(() => remoteSelectionText(bob, 'alice'), (s) => s === text.slice(2, text.length - 4), "Bob sees Alice's multi-line selection");
    assert.equal(await remoteCaretPos(bob, 'alice'), 2);
    // Bob's caret shows in Alice's editor, with his name.
    const bobPos = text.indexOf('here.');
    await select(bob, bobPos);
    await eventually(() => remoteCaretPos(alice, 'bob'), (p) => p === bobPos, "Alice sees Bob's caret");
    assert.equal(await alice.locator('.cm-tandem-caret[data-user="bob"] .cm-tandem-caret-label').textContent(), 'Bob');
    // Avatars: Bob is in Alice's bar, and shows typing while he types.
    const bobAvatar = alice.locator('.presence .avatar[data-user="bob"]');
    await bobAvatar.waitFor();
    const typing = typeAt(bob, bobPos, 'really ', 120);
    await eventually(() => bobAvatar.getAttribute('data-typing'), (v) => v === 'true', 'Alice sees Bob typing');
    await typing;
    await Promise.all([waitSynced(alice), waitSynced(bob)]);
  });

  test('a viewer link opens the document read-only and cannot edit', async () => {
    await alice.getByRole('button', { name: 'Share', exact: true }).click();
    const dialog = alice.getByRole('dialog');
    await dialog.getByTestId('link-level').selectOption('viewer');
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const row = dialog.getByTestId('links').locator('li[data-level="viewer"][data-state="active"]').first();
    await row.waitFor();
    await snap(alice, 'share-dialog');
    const url = new URL(await row.locator('input.link-url').inputValue());

    const carol = await (await newContext()).newPage();
    await signIn(carol, server.origin, 'Carol', `${url.pathname}${url.search}`);
    await waitEditor(carol);
    const before = await server.text(DOC);
    await waitText(carol, before);
    await carol.getByTestId('level').filter({ hasText: 'View only' }).waitFor();
    assert.equal(await carol.locator('.cm-content').getAttribute('contenteditable'), 'false');
    await carol.locator('.cm-content').click();
    await carol.keyboard.type('vandalism');
    await carol.keyboard.press('Control+z');
    await carol.waitForTimeout(500);
    assert.equal(await editorText(carol), before);
    assert.equal(await server.text(DOC), before);
    await snap(carol, 'viewer-link');

    // Revoking the link: it is listed as revoked from then on.
    await row.getByRole('button', { name: 'Revoke' }).click();
    await dialog.getByTestId('links').locator('li[data-state="revoked"]').first().waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await carol.context().close();
  });

  test('history: name a version, compare it with the current one, restore it', async () => {
    const draft = await editorText(alice);
    await alice.getByRole('button', { name: 'History' }).click();
    const panel = alice.getByTestId('history-panel');
    await panel.getByPlaceholder('Name the current version').fill('Draft 1');
    await panel.getByRole('button', { name: 'Save' }).click();
    await panel.getByText('Saved “Draft 1”').waitFor();

    await typeAt(alice, draft.length, '\nA later paragraph.');
    await waitSynced(alice);
    await waitText(bob, `${draft}\nA later paragraph.`);

    await panel.locator('button[data-kind="named"]', { hasText: 'Draft 1' }).click();
    await eventually(() => panel.getByTestId('preview').textContent(), (t) => t === draft, 'the read-only preview shows the draft');
    await panel.getByTestId('compare-select').selectOption({ label: await currentOption(panel.getByTestId('compare-select')) });
    await panel.getByTestId('diff').locator('ins', { hasText: 'A later paragraph.' }).waitFor();
    assert.match((await panel.getByTestId('diff').locator('ins').first().getAttribute('title')) ?? '', /Added by Alice/);
    await snap(alice, 'history-diff');

    await panel.getByRole('button', { name: 'Restore…' }).click();
    await alice.getByRole('dialog').getByText('for everyone').waitFor();
    await alice.getByTestId('confirm').click();
    await waitText(alice, draft);
    await waitText(bob, draft);
    assert.equal(await server.text(DOC), draft);
    await panel.getByRole('button', { name: 'Close history' }).click();
  });

  test('the performance dashboard shows live numbers', async () => {
    await alice.getByRole('button', { name: 'Performance' }).click();
    const panel = alice.getByTestId('perf-panel');
    // A few seconds of both typing, so the chart and the rates have something to show.
    const end = (await editorText(bob)).length;
    await Promise.all([typeAt(alice, 0, 'Measured typing. ', 180), typeAt(bob, end, ' Bob keeps writing.', 160)]);
    await Promise.all([waitSynced(alice), waitSynced(bob)]);
    const p50 = panel.locator('[data-stat="p50"] .stat-value');
    await eventually(() => p50.textContent(), (t) => t !== null && /^\d+ ms$/.test(t), 'p50 shows milliseconds');
    await eventually(() => panel.locator('[data-stat="rtt"] .stat-value').textContent(), (t) => t !== null && /^\d+ ms$/.test(t), 'RTT shows milliseconds', 20_000);
    assert.equal(await panel.locator('[data-stat="transport"] .stat-value').textContent(), 'websocket');
    assert.match((await panel.locator('[data-stat="out"] .stat-detail').textContent()) ?? '', /KB total|B total/);
    await eventually(() => panel.locator('polyline').first().getAttribute('points'), (p) => (p ?? '').split(' ').length >= 3, 'the latency chart draws a line');
    assert.ok((await panel.getByTestId('advice').locator('li').count()) >= 1, 'there is advice');
    await snap(alice, 'performance');
    await panel.getByRole('button', { name: 'Close performance dashboard' }).click();
  });

  test('readable at phone width', async () => {
    const phone = await alice.context().newPage();
    await phone.setViewportSize({ width: 390, height: 760 });
    await openDoc(phone, server.origin, DOC);
    await waitText(phone, await editorText(alice));
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling at phone width (overflow ${overflow}px)`);
    await snap(phone, 'editor-phone');
    await phone.close();
  });

  test('README picture: two people writing, each seeing the other', async () => {
    const doc = 'launch-plan';
    for (const page of [alice, bob]) await page.setViewportSize({ width: 900, height: 520 });
    await alice.goto(`${server.origin}/`);
    await alice.getByPlaceholder('New document name (optional)').fill(doc);
    await alice.getByRole('button', { name: 'New document' }).click();
    await waitEditor(alice);
    const text = [
      'Launch plan',
      '',
      'Goal: ship the beta to the first ten teams by the end of the month.',
      '',
      'Open questions',
      '- Who writes the onboarding guide?',
      '- Do we need SSO for the beta, or is email sign-in enough?',
      '',
      'Next steps: draft the announcement, line up two design partners.',
    ].join('\n');
    await alice.evaluate((t) => {
      const view = window.tandem!.view;
      view.focus();
      view.dispatch({ changes: { from: 0, insert: t } });
    }, text);
    await waitSynced(alice);
    await alice.getByRole('button', { name: 'Share', exact: true }).click();
    const dialog = alice.getByRole('dialog');
    await dialog.getByPlaceholder('User id, e.g. bob').fill('bob');
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByTestId('grants').getByText('bob', { exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await openDoc(bob, server.origin, doc);
    await waitText(bob, text);

    // Bob adds to the list while Alice selects the goal's deadline.
    const list = text.indexOf('email sign-in enough?') + 'email sign-in enough?'.length;
    const typing = typeAt(bob, list, '\n- Pricing for teams over 50 seats', 40);
    const phrase = 'by the end of the month';
    await select(alice, text.indexOf(phrase), text.indexOf(phrase) + phrase.length);
    await typing;
    await eventually(() => remoteSelectionText(bob, 'alice'), (s) => s === phrase, "Bob sees Alice's selection");
    const bobCaret = (await editorText(bob)).indexOf('over 50 seats') + 'over 50 seats'.length;
    await eventually(() => remoteCaretPos(alice, 'bob'), (p) => p === bobCaret, "Alice sees Bob's caret");
    await alice.waitForTimeout(300);
    const left = await snap(alice, 'two-users-alice');
    const right = await snap(bob, 'two-users-bob');
    await sideBySide(browser, [left, right], ['Alice', 'Bob'], join(DOCS, 'screenshot-two-users.png'));
  });

  test('an off-screen cursor shows an edge marker; it and the avatar scroll to the person', async () => {
    // Bob writes a long list; his caret ends far below what Alice sees.
    const lines = Array.from({ length: 80 }, (_, i) => `- item ${i + 1}`).join('\n');
    await bob.evaluate((t) => {
      const view = window.tandem!.view;
      view.focus();
      const end = view.state.doc.length;
      view.dispatch({ changes: { from: end, insert: `\n${t}` } });
      view.dispatch({ selection: { anchor: view.state.doc.length } });
    }, lines);
    await waitSynced(bob);
    await waitTextMatching(alice, (t) => t.endsWith('- item 80'), 'received the long list');
    await select(alice, 0);
    await alice.evaluate(() => {
      window.tandem!.view.scrollDOM.scrollTop = 0;
    });
    const marker = alice.locator('.cm-tandem-edge-bottom .cm-tandem-edge-marker[data-user="bob"]');
    await marker.waitFor();
    assert.match((await marker.textContent()) ?? '', /Bob/);
    await snap(alice, 'edge-marker');
    await marker.click();
    await alice.locator('.cm-tandem-caret[data-user="bob"]').waitFor({ state: 'visible' });
    await marker.waitFor({ state: 'detached' });
    // Back to the top; the avatar button jumps to Bob as well.
    await alice.evaluate(() => {
      window.tandem!.view.scrollDOM.scrollTop = 0;
    });
    await marker.waitFor();
    await alice.locator('.presence .avatar[data-user="bob"]').click();
    await marker.waitFor({ state: 'detached' });
    assert.ok(await isInView(alice, '.cm-tandem-caret[data-user="bob"]'), "Bob's caret is in view after clicking his avatar");
  });

  test('undo reverts only my own change, redo brings it back', async () => {
    const before = await editorText(alice);
    await typeAt(alice, 0, 'Mine. ', 20);
    await waitSynced(alice);
    await waitText(bob, `Mine. ${before}`);
    // Bob edits after Alice; her undo must leave his text alone.
    await typeAt(bob, (await editorText(bob)).length, ' Theirs.', 20);
    await waitText(alice, `Mine. ${before} Theirs.`);
    await alice.locator('.cm-content').focus();
    await alice.keyboard.press('Control+z');
    await waitText(alice, `${before} Theirs.`);
    await waitText(bob, `${before} Theirs.`);
    await alice.keyboard.press('Control+y');
    await waitText(bob, `Mine. ${before} Theirs.`);
    await alice.keyboard.press('Control+z');
    await waitText(bob, `${before} Theirs.`);
  });
});

/** The option label of the "Current version" entry of a compare select (once it is rendered). */
async function currentOption(select: import('playwright-core').Locator): Promise<string> {
  const labels = await eventually(() => select.locator('option').allTextContents(), (l) => l.some((x) => x.startsWith('Current version')), 'the compare list offers the current version');
  return labels.find((l) => l.startsWith('Current version'))!;
}

/** Whether the element's box is inside the editor's visible scroll area. */
function isInView(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    const box = window.tandem!.view.scrollDOM.getBoundingClientRect();
    if (el === null) return false;
    const r = el.getBoundingClientRect();
    return r.bottom > box.top && r.top < box.bottom;
  }, selector);
}
