/**
 * Real multi-node clusters for tests: N `tandem-server` processes (dist/src/cli.js) on port 0
 * sharing one PostgreSQL schema and one Redis (under a unique key prefix, so runs never see each
 * other), a private `redis-server` on a free port for tests that kill and restart Redis (the
 * machine's shared Redis on 6379 is never touched), the visible-skip rule when Redis is missing,
 * and the checks every cluster test ends with: the stored log is gap-free, holds every
 * acknowledged event exactly once, and replays to what the clients converged to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docId as toDocId } from '@tandem/core';
import type { Event } from '@tandem/core';
import { openStore } from '../../src/storage/open-store.js';
import { withDeadline } from './deadline.js';
import { EventSet, contentOf, eventKey, payloadOf, rebuild } from './event-log.js';
import { POSTGRES_URL } from './postgres.js';
import { spawnServer } from './server-process.js';
import type { ServerProcess } from './server-process.js';

export const REDIS_URL = process.env['TANDEM_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Fast cluster timing for tests: deaths noticed within about two seconds. */
export const TEST_TIMING = { heartbeatMs: 250, nodeTimeoutMs: 1_500, pollMs: 500 } as const;

/** Resolves undefined when a Redis answers PING at `url`, else why not. */
export async function redisUnreachable(url = REDIS_URL): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port || 6379), hostname || '127.0.0.1');
    const timer = setTimeout(() => done('no answer within 3 s'), 3_000);
    const done = (why: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    socket.once('error', (e) => done(e.message));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString('utf8').startsWith('+PONG') ? undefined : `unexpected reply ${JSON.stringify(d.toString('utf8').slice(0, 40))}`));
  });
}

/** Like requirePostgres: a visible skip when Redis is unreachable, a failure in CI (CI=true). */
export async function requireRedis(suite: string): Promise<boolean> {
  const reason = await redisUnreachable();
  if (reason === undefined) return true;
  const message = `Redis at ${REDIS_URL} is unreachable (${reason}); set TANDEM_TEST_REDIS_URL to run ${suite}`;
  if (process.env['CI'] === 'true') {
    test(`${suite}: Redis is reachable (required in CI)`, () => assert.fail(message));
  } else {
    console.warn(`\n[${suite}] SKIPPED: ${message}\n`);
    test(`${suite} (Redis)`, { skip: message }, () => undefined);
  }
  return false;
}

/** Like requireRedis, for tests that run a private redis-server: the binary must be installed. */
export function requireRedisServerBinary(suite: string): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const message = `redis-server is not installed (${probe.error?.message ?? `exit ${String(probe.status)}`}); install it to run ${suite}`;
  if (process.env['CI'] === 'true') {
    test(`${suite}: redis-server is installed (required in CI)`, () => assert.fail(message));
  } else {
    console.warn(`\n[${suite}] SKIPPED: ${message}\n`);
    test(`${suite} (redis-server)`, { skip: message }, () => undefined);
  }
  return false;
}

export interface Cluster {
  readonly nodes: ServerProcess[];
  readonly schema: string;
  readonly prefix: string;
  /** Starts node `i` again (after a kill), with the same node id. */
  restart(i: number): Promise<ServerProcess>;
  stop(): Promise<void>;
  /** The nodes' recent output, for failure messages. */
  output(): string;
}

/** Spawns `count` nodes on one schema and one Redis key prefix. */
export async function startCluster(count: number, schema: string, redisUrl: string, extra: readonly string[] = []): Promise<Cluster> {
  const prefix = `tandem-test-${schema}`;
  const args = (i: number): string[] => [
    '--storage', POSTGRES_URL, '--storage-schema', schema, '--redis-url', redisUrl, '--redis-prefix', prefix, '--node-id', `n${i}`,
    '--cluster-heartbeat-ms', String(TEST_TIMING.heartbeatMs), '--cluster-node-timeout-ms', String(TEST_TIMING.nodeTimeoutMs),
    '--cluster-poll-ms', String(TEST_TIMING.pollMs), ...extra,
  ];
  const nodes: ServerProcess[] = [];
  try {
    // One at a time: the first creates the schema, the others find it.
    for (let i = 0; i < count; i++) nodes.push(await spawnServer(args(i)));
  } catch (e) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw e;
  }
  return {
    nodes,
    schema,
    prefix,
    restart: async (i) => {
      nodes[i] = await spawnServer(args(i));
      return nodes[i]!;
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
    output: () => nodes.map((n, i) => `--- node n${i} ---\n${n.output().slice(-1500)}`).join('\n'),
  };
}

/** A free TCP port on 127.0.0.1 (bound and released; the caller binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A private, throwaway redis-server (no persistence) that a test may kill and start again. */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'tandem-redis-'));

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.startAgain();
    return r;
  }

  /** Starts the server on the same port (after kill()) and waits until it accepts connections. */
  async startAgain(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.child = child;
    let out = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        out = (out + chunk.toString('utf8')).slice(-4096);
        if (out.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server on port ${this.port} exited (${String(code)}): ${out}`)));
    });
    await withDeadline(ready, 10_000, `redis-server on port ${this.port} to accept connections`);
  }

  /** SIGKILL: no shutdown, every connection dropped, every key lost. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await withDeadline(exited, 10_000, 'redis-server to exit');
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Fetches a node's /metrics and reads one gauge without labels. */
export async function gauge(node: ServerProcess, name: string): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${node.port}/metrics`);
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** What the clients of one document sent and had acknowledged, and the text they converged to. */
export interface DocOutcome {
  readonly docId: string;
  readonly sent: readonly Event[];
  readonly acked: readonly Event[];
  readonly texts: readonly { texts: Record<string, string> }[];
}

/**
 * The storage holds each document's log gap-free (versions 1..head), every acknowledged event
 * exactly once with the payload its client sent, nothing no client sent, and the log replays to
 * the content every client converged to.
 */
export async function checkStored(schema: string, outcomes: readonly DocOutcome[]): Promise<{ events: number; serverMade: number }> {
  const store = await openStore(POSTGRES_URL, { schema });
  let total = 0;
  let serverMade = 0;
  try {
    for (const o of outcomes) {
      const stored = await store.loadEvents(toDocId(o.docId), 0);
      const head = await store.head(toDocId(o.docId));
      assert.equal(head, stored.length, `${o.docId}: head ${head} equals the number of stored events`);
      stored.forEach((s, i) => assert.equal(s.version, i + 1, `${o.docId}: versions are gap-free and unique`));
      const keys = new Set(stored.map((s) => eventKey(s.event)));
      assert.equal(keys.size, stored.length, `${o.docId}: no event is stored twice`);
      const kept = new EventSet();
      kept.addAll(stored.map((s) => s.event));
      const sent = new EventSet();
      sent.addAll(o.sent);
      for (const e of o.acked) assert.equal(kept.payload(e), payloadOf(e), `${o.docId}: acknowledged ${eventKey(e)} is stored unchanged`);
      for (const s of stored) {
        // Events the server made for plain-OT clients are under its reserved agents; counted by the caller.
        if (s.event.id.agent.startsWith('\uffff')) serverMade++;
        else assert.equal(sent.payload(s.event), payloadOf(s.event), `${o.docId}: stored ${eventKey(s.event)} was sent by a client`);
      }
      const expected = contentOf(rebuild(stored.map((s) => s.event)));
      for (const t of o.texts) assert.deepEqual(t.texts, expected.texts, `${o.docId}: a client's text equals the stored log's`);
      total += stored.length;
    }
  } finally {
    await store.close();
  }
  return { events: total, serverMade };
}

/** Creates each document (owned by its first user) and lets every other user edit it. */
export async function grantDocs(schema: string, docs: ReadonlyMap<string, readonly string[]>): Promise<void> {
  const store = await openStore(POSTGRES_URL, { schema });
  try {
    for (const [docId, users] of docs) {
      await store.createDocument(toDocId(docId), users[0]!);
      for (const u of users.slice(1)) await store.setPermission(toDocId(docId), u, 'editor');
    }
  } finally {
    await store.close();
  }
}
