// `npm start`: builds nothing itself (the `prestart` script builds), then runs the Tandem server with
// SQLite under ./data. Flags after `--` go to the server: `npm start -- --port 8080`.
import { main } from '../packages/server/dist/src/cli.js';

const code = await main(process.argv.slice(2), process.env);
process.exit(code);
