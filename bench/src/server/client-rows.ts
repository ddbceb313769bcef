/**
 * The client-side rows of the server benchmark, per system: connection setup time (connect,
 * handshake, join of a small document), the memory a client keeps for a 100,000-character document
 * typed by 10 collaborators (measured in a fresh probe process), and the time to open a document with
 * a long typing history (a million edits with --full) — from the server's memory, and for Tandem also
 * cold, from its storage. What cannot be measured for a system is n/a with the reason.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { DocTracker } from '../load/delivery-tracker.js';
import { ClientIssues, loadDriver, SYSTEM_LABELS } from '../load/load-driver.js';
import type { LoadClient, SystemId } from '../load/load-driver.js';
import { progress } from '../progress-log.js';
import { formatBytes, formatDuration } from '../report/units.js';
import type { ProbeRequest, ProbeResult } from './client-probe.js';
import { YjsWireClient } from './drivers/yjs-driver.js';
import { seedTandemStore, typeTogether, typingHistory, yjsHistoryUpdate } from './history-seed.js';
import type { ClientRow, ClientValue } from './server-results.js';
import { startServer } from './server-process.js';

const PROBE = fileURLToPath(new URL('./client-probe.js', import.meta.url));
const COLLABORATORS = 10;
const TARGET_LENGTH = 100_000;

function probe(request: ProbeRequest, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--max-old-space-size=8192', PROBE, JSON.stringify(request)], { timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`probe failed: ${stderr.trim().split('\n').slice(-3).join(' ') || err.message}`));
        return;
      }
      const line = stdout.trim().split('\n').pop() ?? '';
      resolve(JSON.parse(line) as ProbeResult);
    });
  });
}

function na(reason: string): ClientValue {
  return { status: 'n/a', reason };
}

function failure(err: unknown): ClientValue {
  return na(`failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
}

async function connectOnce(system: SystemId, url: string, docId: string, name: string): Promise<LoadClient> {
  const driver = await loadDriver(system);
  return driver.connect({ url, docId, clientName: name, tracker: new DocTracker(() => undefined, () => performance.now()), issues: new ClientIssues(), running: () => false });
}

/** Median (and p99 in the detail) of `count` sequential connections to a small document. */
async function connectionSetup(system: SystemId, url: string, count: number): Promise<ClientValue> {
  const holder = await connectOnce(system, url, 'setup-doc', 'setup-holder');
  try {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const c = await connectOnce(system, url, 'setup-doc', `setup-${i}`);
      times.push(performance.now() - started);
      c.close();
    }
    times.sort((a, b) => a - b);
    const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    return { status: 'ok', value: at(0.5), detail: `median of ${count} sequential connections (socket open, handshake, join, document held); p99 ${formatDuration(at(0.99))}` };
  } finally {
    holder.close();
  }
}

async function clientMemory(system: SystemId, url: string): Promise<ClientValue> {
  const docId = 'memory-doc';
  const collaborators = await typeTogether(system, url, docId, COLLABORATORS, TARGET_LENGTH, 300_000);
  try {
    const r = await probe({ kind: 'memory', system, url, docId }, 300_000);
    return {
      status: 'ok',
      value: r.heapAndExternal ?? NaN,
      detail: `JS heap + external kept after joining a ${r.textLength.toLocaleString('en-US')}-character document typed by ${COLLABORATORS} live collaborators (RSS Δ ${formatBytes(r.rss ?? NaN)})`,
    };
  } finally {
    for (const c of collaborators) c.close();
  }
}

/** Waits until a socket has handed everything to the OS. */
async function flushed(ws: WebSocket): Promise<void> {
  while (ws.bufferedAmount > 0) await new Promise((resolve) => setTimeout(resolve, 20));
}

interface OpenRows {
  readonly warm: Partial<Record<SystemId, ClientValue>>;
  readonly cold: Partial<Record<SystemId, ClientValue>>;
}

async function openLongHistory(systems: readonly SystemId[], edits: number): Promise<OpenRows> {
  const warm: Partial<Record<SystemId, ClientValue>> = {};
  const cold: Partial<Record<SystemId, ClientValue>> = {};
  const history = typingHistory(edits, 11, 100_000);
  const count = edits.toLocaleString('en-US');
  for (const system of systems) {
    progress(`  open a ${count}-edit document · ${SYSTEM_LABELS[system]}`);
    if (system === 'sharedb') {
      const reason = 'ShareDB opens a document from its latest snapshot, whatever the length of its history; building a history of that many ops through a ShareDB server is too slow for this benchmark';
      warm[system] = na(reason);
      cold[system] = na(reason);
      continue;
    }
    try {
      if (system === 'tandem') {
        const dataDir = mkdtempSync(join(tmpdir(), 'tandem-bench-open-'));
        try {
          const t = performance.now();
          const seeded = await seedTandemStore(dataDir, 'history-doc', history);
          progress(`    history made and stored in ${formatDuration(performance.now() - t)}`);
          const server = await startServer('tandem', { dataDir });
          try {
            const first = await probe({ kind: 'open', system, url: server.url, docId: 'history-doc' }, 900_000);
            const second = await probe({ kind: 'open', system, url: server.url, docId: 'history-doc' }, 900_000);
            const split = (r: ProbeResult): string => `session_joined after ${formatDuration(r.joinedMs ?? NaN)}, replica built in ${formatDuration(r.buildMs ?? NaN)}`;
            cold[system] = { status: 'ok', value: first.totalMs ?? NaN, detail: `first open after a server start (snapshot loaded from SQLite): ${split(first)}; ${seeded.events.toLocaleString('en-US')} events, ${first.textLength.toLocaleString('en-US')} characters` };
            warm[system] = { status: 'ok', value: second.totalMs ?? NaN, detail: `document already open on the server: ${split(second)}` };
          } finally {
            await server.stop();
          }
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      } else {
        const { update, textLength } = yjsHistoryUpdate(history);
        const server = await startServer('yjs');
        try {
          const seeder = YjsWireClient.open(server.url, 'history-doc', () => undefined);
          await seeder.synced;
          Y.applyUpdate(seeder.doc, update);
          await flushed(seeder.ws);
          await new Promise((resolve) => setTimeout(resolve, 500));
          const r = await probe({ kind: 'open', system, url: server.url, docId: 'history-doc' }, 900_000);
          seeder.close();
          if (r.textLength !== textLength) throw new Error(`opened ${r.textLength} characters, expected ${textLength}`);
          warm[system] = { status: 'ok', value: r.totalMs ?? NaN, detail: `sync until step 2 applied; saved state ${formatBytes(update.length)}, ${textLength.toLocaleString('en-US')} characters` };
          cold[system] = na('the y-websocket server runs without persistence here: it holds documents in memory only');
        } finally {
          await server.stop();
        }
      }
    } catch (err) {
      warm[system] ??= failure(err);
      cold[system] ??= failure(err);
    }
  }
  return { warm, cold };
}

export async function measureClientRows(systems: readonly SystemId[], matrix: 'quick' | 'full'): Promise<ClientRow[]> {
  const setup: Partial<Record<SystemId, ClientValue>> = {};
  const memory: Partial<Record<SystemId, ClientValue>> = {};
  for (const system of systems) {
    progress(`  connection setup and client memory · ${SYSTEM_LABELS[system]}`);
    const server = await startServer(system);
    try {
      let t = performance.now();
      setup[system] = await connectionSetup(system, server.url, matrix === 'full' ? 200 : 50).catch(failure);
      progress(`    connection setup measured in ${formatDuration(performance.now() - t)}`);
      t = performance.now();
      memory[system] = await clientMemory(system, server.url).catch(failure);
      progress(`    client memory measured in ${formatDuration(performance.now() - t)}`);
    } finally {
      await server.stop();
    }
  }
  const edits = matrix === 'full' ? 1_000_000 : 200_000;
  const open = await openLongHistory(systems, edits);
  const count = edits.toLocaleString('en-US');
  return [
    { id: 'connectSetup', label: 'connection setup time (median)', unit: 'ms', values: setup },
    { id: 'clientMemory', label: `client memory, ${TARGET_LENGTH.toLocaleString('en-US')}-char doc, ${COLLABORATORS} collaborators`, unit: 'bytes', values: memory },
    { id: 'openMillion', label: `open a ${count}-edit document (held by the server)`, unit: 'ms', values: open.warm },
    { id: 'openMillionCold', label: `open a ${count}-edit document (cold, from storage)`, unit: 'ms', values: open.cold },
  ];
}
