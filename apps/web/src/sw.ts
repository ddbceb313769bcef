/**
 * The service worker: it keeps the app shell (HTML, scripts, styles, icons, manifest) in a cache
 * so that a document opened once opens again without a network — the document itself comes from
 * the SDK's IndexedDB store, and its unsent edits sync when the connection is back.
 *
 * - install: precache every file of this build (the list is written in by the Vite build);
 * - activate: drop the caches of older builds and take control of open pages at once;
 * - page loads: network first (a new deployment shows up at once), the cached shell when the
 *   network or the server is down — every app URL is the same single-page shell;
 * - other files: cache first (they are content-hashed), filled in as they are fetched;
 * - the API, the WebSocket, the HTTP fallback and health endpoints are never cached.
 */
/// <reference lib="webworker" />

interface Precache {
  readonly version: string;
  readonly files: readonly string[];
}

// A module (see the export at the end), so this declaration shadows the WebWorker lib's `self`.
declare const self: ServiceWorkerGlobalScope;

// Replaced at build time by the file list (see vite.config.ts).
const PRECACHE = JSON.parse('__TANDEM_PRECACHE__') as Precache;
const CACHE = `tandem-shell-${PRECACHE.version}`;
const SHELL = '/index.html';
/** How long a page load waits for the network before the cached shell is used. */
const NAVIGATION_TIMEOUT_MS = 3_000;
const NEVER_CACHED = ['/api/', '/ws', '/sse', '/rpc', '/healthz', '/readyz', '/metrics'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `reload` bypasses the HTTP cache: the shell stored must be this build's, not a stale copy.
      await cache.addAll(PRECACHE.files.map((f) => new Request(f, { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key.startsWith('tandem-shell-') && key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || NEVER_CACHED.some((p) => url.pathname.startsWith(p))) return;
  if (request.mode === 'navigate') event.respondWith(page(request));
  else event.respondWith(file(request));
});

async function page(request: Request): Promise<Response> {
  try {
    const response = await fetchWithin(request, NAVIGATION_TIMEOUT_MS);
    if (response.ok) return response;
    // A server error page is worse than the cached app, which still works offline.
    return (await cachedShell()) ?? response;
  } catch {
    return (await cachedShell()) ?? new Response('Tandem is offline and this page was never opened here.', { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }
}

async function cachedShell(): Promise<Response | undefined> {
  const cache = await caches.open(CACHE);
  return (await cache.match(SHELL)) ?? (await cache.match('/'));
}

async function file(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit !== undefined) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') await cache.put(request, response.clone());
  return response;
}

function fetchWithin(request: Request, ms: number): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  return fetch(request, { signal: controller.signal }).finally(() => clearTimeout(timer));
}

export type {};
