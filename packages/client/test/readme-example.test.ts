/**
 * Runs the example of packages/client/README.md exactly as written, against a real server, and
 * checks that each `console.log` prints what its `// → …` comment says. The example file is written
 * inside this package so that `ws` and `@tandem/client` resolve as they would for a user.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomId } from '../src/util/random-id.js';
import { TestServer } from './support/test-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, '../..');

let server: TestServer;
before(async () => {
  server = await TestServer.start();
});
after(async () => {
  await server.stop();
});

test('the README example runs and prints what it says', async () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- example:client -->');
  assert.ok(start >= 0, 'README has an example:client marker');
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(start));
  assert.ok(block !== null, 'a js code block follows the marker');
  const code = block[1]!;
  const expected = code
    .split('\n')
    .filter((line) => line.startsWith('console.log('))
    .map((line) => {
      const i = line.indexOf('// → ');
      assert.ok(i >= 0, `console.log line without an expected-output comment: ${line}`);
      return line.slice(i + '// → '.length);
    });
  const file = join(packageRoot, 'dist', `readme-example-${randomId(8)}.mjs`);
  writeFileSync(file, code);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [file], { env: { ...process.env, TANDEM_URL: server.url }, timeout: 30_000 });
    assert.deepEqual(stdout.trimEnd().split('\n'), expected);
  } finally {
    rmSync(file, { force: true });
  }
});
