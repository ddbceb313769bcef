/**
 * Starts a real Tandem server for a test: port 0 on 127.0.0.1, SQLite in a fresh temp folder (or a
 * given storage URL), quiet logs; `stop()` closes it and removes the folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createTandemServer, defaultConfig } from '../../src/index.js';
import type { CreateServerOptions, ServerConfig, TandemServer } from '../../src/index.js';

export interface RunningServer {
  readonly server: TandemServer;
  readonly url: string;
  readonly http: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export async function startTestServer(overrides: Parameters<typeof defaultConfig>[0] = {}, options: CreateServerOptions = {}): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-test-'));
  const config: ServerConfig = defaultConfig({ port: 0, host: '127.0.0.1', dataDir, storage: `sqlite:${join(dataDir, 'tandem.db')}`, logLevel: 'silent', ...overrides });
  const server = await createTandemServer(config, { logger: pino({ level: 'silent' }), ...options });
  const port = await server.listen();
  return {
    server,
    url: `ws://127.0.0.1:${port}/ws`,
    http: `http://127.0.0.1:${port}`,
    dataDir,
    stop: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
