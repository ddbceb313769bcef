/**
 * A real Tandem server for the end-to-end tests, in this process: 127.0.0.1 on a free port,
 * SQLite in a temp folder, dev-mode auth, and the built web app served at `/`. `halt()` stops it
 * (the browsers see the server go away) and `resume()` starts it again on the same port and data.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTandemServer, defaultConfig, type TandemServer } from '@tandem/server';
import { WEB_DIST } from './paths.js';

export class E2eServer {
  private constructor(
    private current: TandemServer | undefined,
    readonly port: number,
    private readonly dataDir: string,
  ) {}

  static async start(): Promise<E2eServer> {
    if (!existsSync(join(WEB_DIST, 'index.html'))) throw new Error(`the web app is not built (${WEB_DIST}): run npm run build`);
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-e2e-'));
    const server = await E2eServer.launch(0, dataDir);
    return new E2eServer(server, server.port, dataDir);
  }

  private static async launch(port: number, dataDir: string): Promise<TandemServer> {
    const config = defaultConfig({
      port,
      host: '127.0.0.1',
      dataDir,
      storage: `sqlite:${join(dataDir, 'tandem.db')}`,
      staticDir: WEB_DIST,
      logLevel: 'silent',
    });
    const server = await createTandemServer(config);
    await server.listen();
    return server;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The document's body text as the server has it (through the REST API). */
  async text(docId: string, user = 'alice'): Promise<string> {
    const r = await fetch(`${this.origin}/api/docs/${encodeURIComponent(docId)}`, { headers: { 'x-tandem-user': user } });
    if (!r.ok) throw new Error(`GET ${docId}: ${r.status} ${await r.text()}`);
    return ((await r.json()) as { text: string }).text;
  }

  /** Creates `docId` owned by `owner` (through the REST API) and makes each of `editors` an editor. */
  async createDoc(docId: string, owner: string, editors: readonly string[] = []): Promise<void> {
    const base = `${this.origin}/api/docs`;
    const headers = { 'x-tandem-user': owner, 'content-type': 'application/json' };
    const created = await fetch(base, { method: 'POST', headers, body: JSON.stringify({ id: docId }) });
    if (!created.ok) throw new Error(`POST ${docId}: ${created.status} ${await created.text()}`);
    for (const user of editors) {
      const r = await fetch(`${base}/${encodeURIComponent(docId)}/collaborators/${encodeURIComponent(user)}`, { method: 'PUT', headers, body: JSON.stringify({ level: 'editor' }) });
      if (!r.ok) throw new Error(`sharing ${docId} with ${user}: ${r.status} ${await r.text()}`);
    }
  }

  async halt(): Promise<void> {
    const s = this.current;
    this.current = undefined;
    await s?.close();
  }

  async resume(): Promise<void> {
    if (this.current === undefined) this.current = await E2eServer.launch(this.port, this.dataDir);
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
