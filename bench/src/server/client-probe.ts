/**
 * Entry point of a client probe process (`node --expose-gc client-probe.js '<json>'`): a fresh Node
 * process that opens one document of a running server as a client of the given system and prints one
 * JSON line with what it measured. Kinds:
 * - `memory`: JS heap + external memory (and RSS) kept by the client once it holds the document,
 *   against a baseline taken after importing everything and two full GCs;
 * - `open`: time from opening the socket to holding the document, split for Tandem into
 *   "session_joined received" and "replica built".
 */
import { performance } from 'node:perf_hooks';
import { Doc } from '@tandem/core';
import { decodeBase64 } from '@tandem/protocol';
import { DocTracker } from '../load/delivery-tracker.js';
import { ClientIssues, isSystemId, loadDriver } from '../load/load-driver.js';
import type { LoadClient, SystemId } from '../load/load-driver.js';
import { LOAD_USER } from '../load/tandem-driver.js';
import { TandemWireClient } from '../load/tandem-wire-client.js';
import { YjsWireClient } from './drivers/yjs-driver.js';

export interface ProbeRequest {
  readonly kind: 'memory' | 'open';
  readonly system: SystemId;
  readonly url: string;
  readonly docId: string;
}

export interface ProbeResult {
  readonly textLength: number;
  /** memory: heapUsed + external growth, bytes. */
  readonly heapAndExternal?: number;
  readonly rss?: number;
  /** open: total, and for Tandem its two parts. */
  readonly totalMs?: number;
  readonly joinedMs?: number;
  readonly buildMs?: number;
  readonly events?: number;
}

function fullGc(): void {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') throw new Error('the probe needs --expose-gc');
  gc();
  gc();
}

async function connect(system: SystemId, url: string, docId: string): Promise<LoadClient> {
  const driver = await loadDriver(system);
  const issues = new ClientIssues();
  const client = await driver.connect({
    url,
    docId,
    clientName: `probe-${process.pid}`,
    tracker: new DocTracker(() => undefined, () => performance.now()),
    issues,
    running: () => false,
  });
  if (issues.errorCount > 0) throw new Error(`client errors: ${issues.samples.join('; ')}`);
  return client;
}

async function memory(request: ProbeRequest): Promise<ProbeResult> {
  // Import and warm up everything the client uses before the baseline.
  await loadDriver(request.system);
  fullGc();
  const before = process.memoryUsage();
  const client = await connect(request.system, request.url, request.docId);
  // Let late frames (presence, awareness) arrive, then collect garbage.
  await new Promise((resolve) => setTimeout(resolve, 500));
  fullGc();
  const after = process.memoryUsage();
  const result = { textLength: client.textLength(), heapAndExternal: after.heapUsed + after.external - before.heapUsed - before.external, rss: after.rss - before.rss };
  client.close();
  return result;
}

async function open(request: ProbeRequest): Promise<ProbeResult> {
  if (request.system === 'tandem') {
    const started = performance.now();
    const wire = await TandemWireClient.connect(request.url, { devUser: LOAD_USER }, { timeoutMs: 600_000 });
    // Like the SDK: a fresh replica asks for the document as an encoded snapshot.
    const joined = await wire.join(request.docId, 600_000, { snapshot: true });
    const joinedAt = performance.now();
    const doc = new Doc({ agent: `probe-${process.pid}` });
    const events = joined.events ?? [];
    if (joined.snapshot !== undefined) doc.loadEncoded(decodeBase64(joined.snapshot));
    else doc.receive(events);
    const textLength = doc.textLength('body');
    const builtAt = performance.now();
    wire.close();
    return { textLength, totalMs: builtAt - started, joinedMs: joinedAt - started, buildMs: builtAt - joinedAt, events: events.length };
  }
  if (request.system === 'yjs') {
    const started = performance.now();
    const wire = YjsWireClient.open(request.url, request.docId, (m) => {
      throw new Error(m);
    });
    await wire.synced;
    const totalMs = performance.now() - started;
    const textLength = wire.text.length;
    wire.close();
    return { textLength, totalMs };
  }
  const started = performance.now();
  const client = await connect(request.system, request.url, request.docId);
  const totalMs = performance.now() - started;
  const textLength = client.textLength();
  client.close();
  return { textLength, totalMs };
}

async function main(): Promise<void> {
  const parsed: unknown = JSON.parse(process.argv[2] ?? '{}');
  const request = parsed as ProbeRequest;
  if (!isSystemId(request.system)) throw new Error(`unknown system ${String(request.system)}`);
  const result = request.kind === 'memory' ? await memory(request) : await open(request);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => setTimeout(() => process.exit(0), 100),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
