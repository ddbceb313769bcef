/**
 * Starts the server of each compared system in a child process on 127.0.0.1, port 0, and learns the
 * bound port from its output: Tandem's JSON log line "Tandem server listening", or the one JSON line
 * the peer launchers print. Optionally under `node --cpu-prof`. Stops it with SIGTERM (so a CPU
 * profile is written), then SIGKILL if it lingers.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SystemId } from '../load/load-driver.js';

const KEEP_OUTPUT = 16 * 1024;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface RunningServer {
  readonly system: SystemId;
  readonly pid: number;
  readonly port: number;
  /** What the system's load driver connects to. */
  readonly url: string;
  /** Tandem's data folder (SQLite), removed on stop. */
  readonly dataDir: string | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after a while) and removes its data folder. */
  stop(): Promise<void>;
  /** The last output, for failure messages. */
  output(): string;
}

export interface StartOptions {
  /** Write a V8 CPU profile of the server into this folder (node --cpu-prof). */
  readonly cpuProfDir?: string;
  /** Tandem only: use this data folder (kept on stop) instead of a fresh temporary one. */
  readonly dataDir?: string;
}

/** Tandem's CLI, found through the @tandem/server package. */
function tandemCli(): string {
  return fileURLToPath(new URL('./cli.js', import.meta.resolve('@tandem/server')));
}

function peerLauncher(system: 'yjs' | 'sharedb'): string {
  return fileURLToPath(new URL(`./peers/${system}-server-main.js`, import.meta.url));
}

/** The port in a line of server output, if the line announces it. */
function listeningPort(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const record = parsed as Record<string, unknown>;
    const announced = record['msg'] === 'Tandem server listening' || record['msg'] === 'listening';
    return announced && typeof record['port'] === 'number' ? record['port'] : undefined;
  } catch {
    return undefined;
  }
}

export async function startServer(system: SystemId, options: StartOptions = {}): Promise<RunningServer> {
  const nodeArgs = options.cpuProfDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  let dataDir: string | undefined;
  let ownDataDir = false;
  let args: string[];
  if (system === 'tandem') {
    dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tandem-bench-'));
    ownDataDir = options.dataDir === undefined;
    // The per-connection rate limit is raised: the peers have none, and the bench offers up to
    // thousands of operations per second per connection on purpose.
    args = [tandemCli(), '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'info', '--rate-per-second', '1000000', '--rate-burst', '1000000'];
  } else {
    args = [peerLauncher(system)];
  }
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: '0', HOST: '127.0.0.1' } });
  let out = '';
  const keep = (chunk: Buffer): void => {
    out = (out + chunk.toString('utf8')).slice(-KEEP_OUTPUT);
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stderr?.on('data', keep);
  const cleanup = (): void => {
    if (ownDataDir && dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  };
  const port = await new Promise<number>((resolve, reject) => {
    let pending = '';
    const fail = (message: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      cleanup();
      reject(new Error(`${system} server: ${message}\n--- output ---\n${out}`));
    };
    const timer = setTimeout(() => fail(`did not report its port within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.once('error', (err) => fail(err.message));
    void exited.then(() => fail('exited before listening'));
    child.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk);
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const found = listeningPort(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        }
      }
      if (pending.length > KEEP_OUTPUT) pending = pending.slice(-KEEP_OUTPUT);
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${system} server has no pid`);
  const url = system === 'tandem' ? `ws://127.0.0.1:${port}/ws` : `ws://127.0.0.1:${port}`;
  return {
    system,
    pid,
    port,
    url,
    dataDir,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(killer);
      }
      cleanup();
    },
  };
}
