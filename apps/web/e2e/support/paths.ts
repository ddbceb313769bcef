/** Where things are, from the compiled tests in apps/web/dist-e2e: the repository root, the built app, test-output/. */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const WEB_DIST = join(REPO_ROOT, 'apps', 'web', 'dist');
export const TEST_OUTPUT = join(REPO_ROOT, 'test-output');
export const DOCS = join(REPO_ROOT, 'docs');
