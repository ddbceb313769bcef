#!/usr/bin/env node
/**
 * The `tandem-server` command: parses flags and environment, starts the server, and shuts it down
 * cleanly on SIGTERM / SIGINT (queued writes finish, storage closes).
 */
import { ConfigError, helpText, parseConfig } from './config.js';
import { createTandemServer } from './server.js';
import type { CreateServerOptions } from './server.js';

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, options: CreateServerOptions = {}): Promise<number> {
  let config;
  try {
    config = parseConfig(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tandem-server: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (config === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const server = await createTandemServer(config, options);
  await server.listen();
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void server.close().then(resolve, (err: unknown) => {
        process.stderr.write(`tandem-server: shutdown failed: ${String(err)}\n`);
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return 0;
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`tandem-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
