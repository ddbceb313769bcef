#!/usr/bin/env node
/**
 * `tandem-load`: a load generator for any running Tandem server. Opens clients spread over documents
 * (each a core `Doc` replica speaking events mode), offers random typing edits at a total rate for a
 * fixed time, prints progress once a second and a final latency summary and histogram. Exits 1 on
 * protocol errors or dropped connections, 2 on a usage error.
 */
import { errorTotal, progressLine, summary } from './load-report.js';
import { runLoad } from './load-coordinator.js';

const USAGE = `usage: tandem-load --url ws://HOST:PORT/ws [options]
  (from the repository: npm run load -w bench -- --url ...)

  --url URL          the server's WebSocket endpoint (required)
  --docs N           documents (default 1)
  --clients N        clients in all, spread over the documents (default 10)
  --rate N           offered edits per second, in all (default 100)
  --duration S       seconds of load (default 30)
  --drain S          seconds to wait afterwards for edits still on their way (default 10)
  --token JWT        a JWT for a server with authentication; without it, dev-mode users
  --seed N           seed of the random choices (default 1)
  --workers N        client processes (default 1; documents are spread over them)
  --doc-prefix P     document ids are P-0, P-1, ... (default load-<time>)
`;

class UsageError extends Error {}

interface CliOptions {
  readonly url: string;
  readonly docs: number;
  readonly clients: number;
  readonly rate: number;
  readonly durationS: number;
  readonly drainS: number;
  readonly token?: string;
  readonly seed: number;
  readonly workers: number;
  readonly docPrefix: string;
}

function parseArgs(args: readonly string[]): CliOptions | 'help' {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    values.set(name, value);
  }
  const known = ['url', 'docs', 'clients', 'rate', 'duration', 'drain', 'token', 'seed', 'workers', 'doc-prefix'];
  for (const name of values.keys()) if (!known.includes(name)) throw new UsageError(`unknown option --${name}`);
  const num = (name: string, fallback: number, min: number, max: number): number => {
    const v = values.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return n;
  };
  const url = values.get('url');
  if (url === undefined) throw new UsageError('--url is required');
  if (!/^wss?:\/\//.test(url)) throw new UsageError(`--url must be a ws:// or wss:// URL, got ${JSON.stringify(url)}`);
  const token = values.get('token');
  const docs = Math.floor(num('docs', 1, 1, 100_000));
  const clients = Math.floor(num('clients', 10, 1, 100_000));
  if (clients < docs * 2) throw new UsageError(`--clients must be at least twice --docs: each document needs a writer and a reader (got ${clients} clients for ${docs} documents)`);
  return {
    url,
    docs,
    clients,
    rate: num('rate', 100, 0.1, 10_000_000),
    durationS: num('duration', 30, 1, 24 * 3600),
    drainS: num('drain', 10, 0, 3600),
    ...(token !== undefined ? { token } : {}),
    seed: Math.floor(num('seed', 1, 0, 2 ** 31)),
    workers: Math.floor(num('workers', 1, 1, 64)),
    docPrefix: values.get('doc-prefix') ?? `load-${new Date().toISOString().replace(/[:.]/g, '-')}`,
  };
}

async function main(args: readonly string[]): Promise<number> {
  const options = parseArgs(args);
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  process.stderr.write(
    `tandem-load: ${options.clients} clients on ${options.docs} document(s) at ${options.url}, ${options.rate} edits/s for ${options.durationS} s (seed ${options.seed})\n`,
  );
  const result = await runLoad({
    system: 'tandem',
    url: options.url,
    ...(options.token !== undefined ? { token: options.token } : {}),
    docs: options.docs,
    clients: options.clients,
    rate: options.rate,
    durationMs: options.durationS * 1000,
    drainMs: options.drainS * 1000,
    seed: options.seed,
    workers: options.workers,
    docPrefix: options.docPrefix,
    onConnected: () => {
      process.stderr.write('all clients connected; starting\n');
    },
    onProgress: (p) => process.stderr.write(`${progressLine(p)}\n`),
  });
  process.stdout.write(`${summary(result)}\n`);
  const failed = errorTotal(result.final) > 0 || result.final.issues.disconnects > 0;
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`tandem-load: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`tandem-load: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
