/**
 * Puts screenshots side by side into one picture (for the README): a page showing the images
 * with a caption above each, screenshotted by the same browser. No image library needed.
 */
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export async function sideBySide(browser: Browser, images: readonly string[], captions: readonly string[], out: string): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 600 }, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    const cells = images
      .map((path, i) => {
        const data = readFileSync(path).toString('base64');
        return `<figure><figcaption>${captions[i] ?? ''}’s window</figcaption><img src="data:image/png;base64,${data}"></figure>`;
      })
      .join('');
    await page.setContent(`<!doctype html><html><head><style>
      body { margin: 0; padding: 16px; background: #e2e8f0; font: 600 15px system-ui, sans-serif; color: #334155; display: inline-flex; gap: 16px; }
      figure { margin: 0; } figcaption { margin: 0 0 6px 4px; }
      img { display: block; width: 780px; border-radius: 8px; box-shadow: 0 6px 20px rgba(15, 23, 42, 0.18); }
    </style></head><body>${cells}</body></html>`);
    await page.locator('body').screenshot({ path: out });
  } finally {
    await context.close();
  }
}
