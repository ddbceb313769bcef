/**
 * Runs the real `tandem-server` command (dist/src/cli.js) as a child process for tests that must
 * kill it: port 0, the bound port read from the JSON log line "Tandem server listening" on stdout,
 * SIGKILL on demand, and a wait for the exit. Output is kept (bounded) for failure messages.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const KEEP_OUTPUT = 16 * 1024;

export interface ServerProcess {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Resolves when the process has exited, with its exit code or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends SIGKILL now (synchronously): no cleanup, no flush. */
  killHard(): void;
  /** SIGKILL if still running, then waits for the exit. Safe to call more than once. */
  stop(): Promise<void>;
  /** The last output of the process, for failure messages. */
  output(): string;
}

/** Starts the CLI with `args` (plus `--port 0 --log-level info`) and waits for it to listen. */
export async function spawnServer(args: readonly string[], env: Readonly<Record<string, string>> = {}, deadlineMs = 20_000): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [CLI, '--port', '0', '--log-level', 'info', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer): void => {
    out = (out + chunk.toString('utf8')).slice(-KEEP_OUTPUT);
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  child.stderr?.on('data', keep);
  const port = await new Promise<number>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => fail(new Error(`the server did not report its port within ${deadlineMs} ms`)), deadlineMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n--- server output ---\n${out}`));
    };
    child.once('error', fail);
    void exited.then(({ code, signal }) => fail(new Error(`the server exited (code ${String(code)}, signal ${String(signal)}) before listening`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk);
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const found = listeningPort(line);
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        }
      }
      if (pending.length > KEEP_OUTPUT) pending = pending.slice(-KEEP_OUTPUT);
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the server process has no pid');
  return {
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    pid,
    exited,
    killHard: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    output: () => out,
  };
}

/** The port of a pino JSON line saying the server listens, if this is that line. */
function listeningPort(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { msg, port } = parsed as { msg?: unknown; port?: unknown };
  return msg === 'Tandem server listening' && typeof port === 'number' && Number.isInteger(port) && port > 0 ? port : undefined;
}
