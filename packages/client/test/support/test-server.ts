/**
 * A real Tandem server for client tests, started in-process: 127.0.0.1, port 0 (or a given port),
 * SQLite in a temp folder, silent logs. `restart()` stops it and starts a new one on the same port
 * and data folder (a server restart as clients see it); `stop()` also removes the folder.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTandemServer, defaultConfig } from '@tandem/server';
import type { TandemServer } from '@tandem/server';

type Overrides = Parameters<typeof defaultConfig>[0];

export class TestServer {
  private constructor(
    private current: TandemServer | undefined,
    readonly port: number,
    readonly dataDir: string,
    private readonly overrides: Overrides,
  ) {}

  static async start(overrides: Overrides = {}): Promise<TestServer> {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-client-test-'));
    const server = await TestServer.launch(0, dataDir, overrides);
    return new TestServer(server, server.port, dataDir, overrides);
  }

  private static async launch(port: number, dataDir: string, overrides: Overrides): Promise<TandemServer> {
    const config = defaultConfig({ port, host: '127.0.0.1', dataDir, storage: `sqlite:${join(dataDir, 'tandem.db')}`, logLevel: 'silent', ...overrides });
    const server = await createTandemServer(config);
    await server.listen();
    return server;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** The running server (throws while stopped). */
  get server(): TandemServer {
    if (this.current === undefined) throw new Error('the test server is stopped');
    return this.current;
  }

  /** Stops the server, keeping its data folder (clients see it go away). */
  async halt(): Promise<void> {
    const s = this.current;
    this.current = undefined;
    await s?.close();
  }

  /** Stops it and empties its data folder: the server comes back having lost everything. */
  async wipe(): Promise<void> {
    await this.halt();
    for (const name of readdirSync(this.dataDir)) rmSync(join(this.dataDir, name), { recursive: true, force: true });
  }

  /** Starts it again on the same port and data folder. */
  async resume(): Promise<void> {
    if (this.current !== undefined) return;
    this.current = await TestServer.launch(this.port, this.dataDir, this.overrides);
  }

  /** The server's text of a document (opened from storage if no client has it open). */
  async text(docId: string, name = 'body'): Promise<{ version: number; text: string }> {
    const session = await this.server.services.registry.open(docId as never);
    const state = await session.state();
    return { version: state.version, text: state.texts[name] ?? '' };
  }

  /** Creates the document as `owner`'s and lets `users` edit it (a new document belongs to its first visitor). */
  async share(docId: string, owner: string, users: readonly string[]): Promise<void> {
    const permissions = this.server.services.permissions;
    await permissions.ensureDocument(docId, owner);
    for (const user of users) if (user !== owner) await permissions.grant(docId, owner, user, 'editor');
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
