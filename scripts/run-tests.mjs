// Runs every compiled `*.test.js` of the workspace packages with node's test runner (spec reporter),
// so support modules and the soak script are never mistaken for test files — and the web app's
// end-to-end tests (apps/web/dist-e2e, Chromium; they skip visibly without it, except in CI).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = [
  ...['packages/core', 'packages/protocol', 'packages/server', 'packages/client', 'packages/codemirror'].map((p) => join(p, 'dist', 'test')),
  join('apps', 'web', 'dist-e2e'),
];
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js')) files.push(path);
  }
}
for (const root of roots) if (existsSync(root)) walk(root);
if (files.length === 0) {
  console.error('no test files found: did the build run?');
  process.exit(1);
}
const extra = process.argv.slice(2);
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...extra, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
