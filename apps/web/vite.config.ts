/**
 * Vite build of the web app: React, the service worker built as its own entry at `/sw.js` (a
 * service worker's scope is its folder, so it must sit at the root), and the list of files it
 * precaches written into it at build time, so the app shell works offline after one visit.
 * `npm run dev` proxies the API and the WebSocket to a server on port 4455.
 */
import { readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const here = fileURLToPath(new URL('.', import.meta.url));
const SW_ENTRY = 'sw';
/** In sw.ts: `JSON.parse('__TANDEM_PRECACHE__')`, whichever quotes the minifier picked. */
const PLACEHOLDER = /(["'`])__TANDEM_PRECACHE__\1/;

/** Writes the precache list (every built file and every public file) into sw.js. */
function precacheManifest(): Plugin {
  return {
    name: 'tandem-precache-manifest',
    apply: 'build',
    // After Vite's own plugins, so the HTML page is in the bundle too.
    enforce: 'post',
    generateBundle(_options, bundle) {
      const sw = bundle['sw.js'];
      if (sw === undefined || sw.type !== 'chunk') throw new Error('sw.js was not built');
      const built = Object.keys(bundle).filter((f) => f !== 'sw.js' && !f.endsWith('.map'));
      const publicFiles = readdirSync(`${here}public`).filter((f) => !f.startsWith('.'));
      const files = ['/', ...[...new Set(['index.html', ...built, ...publicFiles])].sort().map((f) => `/${f}`)];
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
      if (!PLACEHOLDER.test(sw.code)) throw new Error('sw.js lost its precache placeholder');
      // A string literal holding the JSON, for the JSON.parse in sw.ts.
      sw.code = sw.code.replace(PLACEHOLDER, () => JSON.stringify(JSON.stringify({ version, files })));
    },
  };
}

export default defineConfig({
  plugins: [react(), precacheManifest()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      input: { main: `${here}index.html`, [SW_ENTRY]: `${here}src/sw.ts` },
      output: {
        entryFileNames: (chunk) => (chunk.name === SW_ENTRY ? 'sw.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:4455',
      '/ws': { target: 'ws://127.0.0.1:4455', ws: true },
    },
  },
});
