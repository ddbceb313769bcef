/**
 * Serves the built web app (`config.staticDir`) at `/`: files by path with their content type,
 * long-lived caching for Vite's content-hashed `/assets/`, revalidation for everything else (the
 * HTML shell, the service worker and the manifest must update as soon as a new build is deployed),
 * and the single-page-app fallback: a page URL that is no file (`/d/notes`) gets `index.html`, so
 * the app's own router takes over. A missing asset stays a 404, so a broken build is visible.
 *
 * Only files inside the folder are ever read: the decoded path is normalized and checked to stay
 * under the root, and the real path (symbolic links resolved) is checked again before opening.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import type { HttpHandler } from '../server.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * The app's HTML gets a restrictive policy: scripts only from this origin, connections only back
 * to it (REST and the WebSocket). Styles allow inline because CodeMirror and React set them.
 */
const HTML_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "object-src 'none'",
].join('; ');

interface FoundFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** The HTTP handler serving `dir`; it passes (resolves false) on anything it does not serve. */
export function staticFiles(dir: string): HttpHandler {
  const root = resolve(dir);
  // The real root, resolved once it exists (the app may be built after the server starts).
  let realRoot: string | undefined;

  async function inside(path: string): Promise<boolean> {
    realRoot ??= await realpath(root).catch(() => undefined);
    if (realRoot === undefined) return false;
    const real = await realpath(path).catch(() => undefined);
    return real !== undefined && (real === realRoot || real.startsWith(realRoot + sep));
  }

  /** The regular file at `relative` under the root, if there is one and it really is inside. */
  async function find(relative: string): Promise<FoundFile | undefined> {
    const path = resolve(root, `.${relative}`);
    if (path !== root && !path.startsWith(root + sep)) return undefined;
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile() || !(await inside(path))) return undefined;
    return { path, size: info.size, mtimeMs: info.mtimeMs };
  }

  return async (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return false;
    }
    // NUL and backslashes never name a file of a built app; refusing them closes off tricks with
    // path separators that differ between platforms.
    if (pathname.includes('\0') || pathname.includes('\\')) return false;
    const segments = pathname.split('/');
    if (segments.some((s) => s === '..')) return false;

    const wanted = pathname.endsWith('/') ? `${pathname}index.html` : pathname;
    let file = await find(wanted);
    if (file === undefined && isPageRequest(req, pathname)) file = await find('/index.html');
    if (file === undefined) return false;
    send(req, res, file, pathname);
    return true;
  };
}

/** A browser navigating to an app URL (no file extension, or asking for HTML), not an asset fetch. */
function isPageRequest(req: IncomingMessage, pathname: string): boolean {
  const last = pathname.slice(pathname.lastIndexOf('/') + 1);
  if (!last.includes('.')) return true;
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html');
}

function send(req: IncomingMessage, res: ServerResponse, file: FoundFile, pathname: string): void {
  const type = CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream';
  const etag = `W/"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
  // Vite puts a content hash in every file name under /assets/: such a file never changes.
  const immutable = pathname.startsWith('/assets/');
  const headers: Record<string, string | number> = {
    'content-type': type,
    etag,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  };
  if (type.startsWith('text/html')) headers['content-security-policy'] = HTML_SECURITY_POLICY;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers['content-length'] = file.size;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file.path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
