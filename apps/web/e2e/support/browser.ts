/**
 * Debian's Chromium driven by playwright-core (which never downloads a browser). Without
 * /usr/bin/chromium the suite is skipped with a visible reason — except in CI (`CI=true`), where
 * a missing browser is a failure: `.ci/run` installs it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_OUTPUT } from './paths.js';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // WebRTC between two contexts of this browser: plain host candidates (not mDNS names, which
  // nothing resolves here), so peer-to-peer links open on this machine's addresses.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/** Why the suite cannot run here (undefined: it can). Throws in CI, where it must run. */
export function skipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `${CHROMIUM} is missing (apt-get install -y chromium)`;
  if (process.env['CI'] === 'true') throw new Error(`end-to-end tests must run in CI, but ${reason}`);
  return `skipped: ${reason}`;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/** Saves a screenshot of the page under test-output/ (kept out of git). */
export async function snap(page: Page, name: string): Promise<string> {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  const path = join(TEST_OUTPUT, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
