/**
 * Serving the built web app (`staticDir`) through a real server: files with their content types
 * and cache headers, the single-page-app fallback to index.html for page URLs (but a 404 for a
 * missing asset), /api and health routes untouched, conditional requests, and no way out of the
 * folder — `..`, encoded dots and slashes, backslashes, NUL, and a symbolic link pointing outside.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer } from './support/test-server.js';
import type { RunningServer } from './support/test-server.js';

let srv: RunningServer;
let site: string;
let outside: string;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A GET with the path sent exactly as written (fetch would normalize `..` away). */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  const { port } = new URL(srv.http);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  site = mkdtempSync(join(tmpdir(), 'tandem-static-'));
  outside = mkdtempSync(join(tmpdir(), 'tandem-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'top secret');
  mkdirSync(join(site, 'assets'));
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(site, 'assets', 'main-abc123.js'), 'console.log(1)');
  writeFileSync(join(site, 'assets', 'main-abc123.css'), 'body{}');
  writeFileSync(join(site, 'manifest.webmanifest'), '{}');
  writeFileSync(join(site, 'sw.js'), 'self.x=1');
  writeFileSync(join(site, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  symlinkSync(join(outside, 'secret.txt'), join(site, 'leak.txt'));
  srv = await startTestServer({ staticDir: site });
});
after(async () => {
  await srv.stop();
  rmSync(site, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('static files', () => {
  test('files come with their content type; hashed assets are immutable, the rest revalidates', async () => {
    const cases: [string, string][] = [
      ['/', 'text/html; charset=utf-8'],
      ['/index.html', 'text/html; charset=utf-8'],
      ['/assets/main-abc123.js', 'text/javascript; charset=utf-8'],
      ['/assets/main-abc123.css', 'text/css; charset=utf-8'],
      ['/manifest.webmanifest', 'application/manifest+json; charset=utf-8'],
      ['/sw.js', 'text/javascript; charset=utf-8'],
      ['/icon.svg', 'image/svg+xml'],
    ];
    for (const [path, type] of cases) {
      const r = await raw(path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-type'], type, path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
    assert.match(String((await raw('/assets/main-abc123.js')).headers['cache-control']), /immutable/);
    assert.equal((await raw('/sw.js')).headers['cache-control'], 'no-cache');
    assert.match(String((await raw('/')).headers['content-security-policy']), /script-src 'self'/);
  });

  test('page URLs fall back to index.html; a missing asset is a 404', async () => {
    const page = await raw('/d/my-notes');
    assert.equal(page.status, 200);
    assert.equal(page.body, '<!doctype html><title>app</title>');
    assert.equal((await raw('/d/with.dot', { accept: 'text/html,application/xhtml+xml' })).status, 200);
    const missing = await raw('/assets/gone-123.js');
    assert.equal(missing.status, 404);
    assert.match(String(missing.headers['content-type']), /application\/json/);
  });

  test('the REST API, health and unknown methods are not shadowed', async () => {
    const api = await raw('/api/docs', { 'x-tandem-user': 'alice' });
    assert.equal(api.status, 200);
    assert.match(String(api.headers['content-type']), /application\/json/);
    assert.equal((await raw('/api/nope', { 'x-tandem-user': 'alice' })).status, 404);
    assert.equal((await raw('/healthz')).status, 200);
    assert.equal((await raw('/index.html', {}, 'POST')).status, 404);
  });

  test('HEAD has headers and no body; If-None-Match answers 304', async () => {
    const head = await raw('/index.html', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-length'], String('<!doctype html><title>app</title>'.length));
    const etag = String(head.headers['etag']);
    assert.equal((await raw('/index.html', { 'if-none-match': etag })).status, 304);
  });

  test('nothing outside the folder can be read', async () => {
    const attempts = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%5c..%5csecret.txt',
      '/index.html%00.js',
      '/leak.txt',
      '/%E0%A4%A',
    ];
    for (const path of attempts) {
      const r = await raw(path);
      assert.ok(!r.body.includes('top secret') && !r.body.includes('root:'), `${path} leaked`);
      // Either refused, or the harmless SPA shell: never a file from elsewhere.
      assert.ok(r.status === 404 || r.status === 400 || r.body.startsWith('<!doctype html>'), `${path}: ${r.status}`);
    }
    assert.equal((await raw('/leak.txt')).status, 404);
  });
});
