// `npm start`: builds nothing itself (the `prestart` script builds), then runs the Tandem server with
// SQLite under ./data, serving the built web app (apps/web/dist) at `/`. Flags after `--` go to the
// server: `npm start -- --port 8080`; `--static-dir` (or TANDEM_STATIC_DIR) serves another folder.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../packages/server/dist/src/cli.js';

const argv = process.argv.slice(2);
const given = argv.some((a) => a === '--static-dir' || a.startsWith('--static-dir=')) || (process.env.TANDEM_STATIC_DIR ?? '') !== '';
const webApp = fileURLToPath(new URL('../apps/web/dist', import.meta.url));
if (!given && !argv.includes('--help') && !argv.includes('-h')) {
  if (existsSync(webApp)) argv.push('--static-dir', webApp);
  else process.stderr.write(`note: ${webApp} is not built (npm run build), so the web app is not served\n`);
}
const code = await main(argv, process.env);
process.exit(code);
