/**
 * Runs the core example of the README, exactly as written (with the package import pointed at this
 * build), and checks that each `console.log` prints what its `// → …` comment says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../../..');

test('the README core example runs and prints what it says', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- example:core -->');
  assert.ok(start >= 0, 'README has an example:core marker');
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
  const index = pathToFileURL(resolve(here, '../src/index.js')).href;
  const dir = mkdtempSync(join(tmpdir(), 'tandem-readme-'));
  try {
    const file = join(dir, 'example.mjs');
    writeFileSync(file, code.replaceAll("'@tandem/core'", JSON.stringify(index)));
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
    assert.deepEqual(out.trimEnd().split('\n'), expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
