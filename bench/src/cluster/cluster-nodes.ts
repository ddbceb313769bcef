/**
 * Real Tandem cluster nodes for the cluster benchmark: `tandem-server` processes on port 0 sharing
 * one fresh PostgreSQL schema and one Redis (under a key prefix of their own), started one after
 * another, and stopped and cleaned up (schema dropped) at the end. Logs are kept quiet (warn).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pg from 'pg';

const CLI = join(dirname(createRequire(import.meta.url).resolve('@tandem/server')), 'cli.js');

export interface BenchCluster {
  readonly urls: readonly string[];
  stop(): Promise<void>;
}

export interface ClusterSetup {
  readonly postgresUrl: string;
  readonly redisUrl: string;
  readonly nodes: number;
  /** False: one plain node without Redis (the single-server baseline). */
  readonly redis?: boolean;
  /** A plain identifier: the schema and the Redis prefix are derived from it. */
  readonly label: string;
}

async function spawnNode(args: readonly string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--log-level', 'info', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-4000)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`a node did not start within 30 s:\n${out}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`a node exited (${String(code)}) before listening:\n${out}`)));
    let pending = '';
    child.stdout?.on('data', (c: Buffer) => {
      pending += c.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const m = /"port":(\d+).*"msg":"Tandem server listening"/.exec(line);
        if (m !== null) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      }
      if (pending.length > 8000) pending = pending.slice(-8000);
    });
  });
  return { child, url: `ws://127.0.0.1:${port}/ws` };
}

export async function startBenchCluster(setup: ClusterSetup): Promise<BenchCluster> {
  const schema = `tandem_bench_${setup.label}`;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`bad label ${setup.label}`);
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
    const url = new URL(setup.postgresUrl);
    // The server defaults to user postgres when the URL names none (trust auth); so does this.
    if (url.username === '' && (process.env['PGUSER'] ?? '') === '') url.username = 'postgres';
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  };
  try {
    for (let i = 0; i < setup.nodes; i++) {
      const cluster = setup.redis === false ? [] : ['--redis-url', setup.redisUrl, '--redis-prefix', `bench-${setup.label}`, '--node-id', `b${i}`];
      const args = ['--storage', setup.postgresUrl, '--storage-schema', schema, ...cluster];
      // Generous limits: the benchmark drives a few connections hard.
      const node = await spawnNode([...args, '--rate-per-second', '100000', '--rate-burst', '100000']);
      children.push(node.child);
      urls.push(node.url);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { urls, stop };
}
