/**
 * Driving the web app like a person: sign in with a display name, open a document, type at a
 * place, select text; and reading it back through `window.tandem` (the editor's text, the
 * document's text, positions of remote cursors) so assertions check what the page really holds.
 */
import type { BrowserContext, Page } from 'playwright-core';

export async function signIn(page: Page, origin: string, name: string, path = '/'): Promise<void> {
  await page.goto(`${origin}${path}`);
  await page.getByRole('textbox', { name: 'Display name' }).fill(name);
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** A context whose pages are already signed in as `name` (sign-in lives in localStorage). */
export async function signedInContext(context: BrowserContext, origin: string, name: string): Promise<Page> {
  const page = await context.newPage();
  await signIn(page, origin, name);
  await page.getByRole('heading', { name: 'Documents' }).waitFor();
  return page;
}

export function docPath(docId: string, link?: string): string {
  return `/d/${encodeURIComponent(docId)}${link !== undefined ? `?link=${encodeURIComponent(link)}` : ''}`;
}

/** Opens a document and waits until the editor is there and bound. */
export async function openDoc(page: Page, origin: string, docId: string, link?: string): Promise<void> {
  await page.goto(`${origin}${docPath(docId, link)}`);
  await waitEditor(page);
}

export async function waitEditor(page: Page): Promise<void> {
  await page.locator('.cm-content').waitFor();
  await page.waitForFunction(() => window.tandem !== undefined);
}

export function editorText(page: Page): Promise<string> {
  return page.evaluate(() => window.tandem?.text() ?? '');
}

/** Waits until the editor shows `expected` (and the replica agrees). */
export async function waitText(page: Page, expected: string, timeout = 15_000): Promise<void> {
  try {
    await page.waitForFunction((want) => window.tandem?.text() === want && window.tandem.docText() === want, expected, { timeout, polling: 50 });
  } catch (err) {
    throw new Error(`editor text is ${JSON.stringify(await editorText(page))}, expected ${JSON.stringify(expected)}: ${String(err)}`);
  }
}

export async function waitTextMatching(page: Page, test: (text: string) => boolean, what: string, timeout = 15_000): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const text = await editorText(page);
    if (test(text)) return text;
    if (Date.now() > deadline) throw new Error(`editor text ${JSON.stringify(text)} never ${what}`);
    await page.waitForTimeout(50);
  }
}

/** Puts the caret at `pos` (selecting up to `head` when given) through the editor, as a click would. */
export async function select(page: Page, anchor: number, head = anchor): Promise<void> {
  await page.evaluate(
    ([a, h]) => {
      const view = window.tandem!.view;
      view.focus();
      view.dispatch({ selection: { anchor: a!, head: h! }, userEvent: 'select' });
    },
    [anchor, head],
  );
}

/** Types at `pos` with real key presses. */
export async function typeAt(page: Page, pos: number, text: string, delay = 15): Promise<void> {
  await select(page, pos);
  await page.keyboard.type(text, { delay });
}

/** Waits until everything this page typed is acknowledged by the server. */
export async function waitSynced(page: Page, timeout = 15_000): Promise<void> {
  await page.waitForFunction(() => window.tandem?.doc.synced === true, undefined, { timeout, polling: 50 });
}

/** The document position of a remote user's caret as rendered in this page, or undefined. */
export function remoteCaretPos(page: Page, userKey: string): Promise<number | undefined> {
  return page.evaluate((key) => {
    const view = window.tandem!.view;
    const caret = view.dom.querySelector(`.cm-tandem-caret[data-user="${CSS.escape(key)}"]`);
    return caret === null ? undefined : view.posAtDOM(caret);
  }, userKey);
}

/** The text a remote user's selection highlights in this page ('' when none). */
export function remoteSelectionText(page: Page, userKey: string): Promise<string> {
  return page.evaluate((key) => {
    const marks = window.tandem!.view.dom.querySelectorAll(`.cm-tandem-selection[data-user="${CSS.escape(key)}"]`);
    // Marks are split per line; join them with the line breaks the selection spans.
    return Array.from(marks, (m) => m.textContent ?? '').join('\n');
  }, userKey);
}

/** Polls `probe` until `ok` accepts its value. */
export async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string, timeout = 15_000): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T;
  for (;;) {
    last = await probe();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: last value ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
