/**
 * Fuzzes the real message handler: at least 100,000 random and mutated client messages per run
 * (TANDEM_FUZZ_MESSAGES to change) through a real server (high rate limit) on several connections:
 * valid edits from core replicas and plain OT clients, plausible events with random ops against
 * the real documents, plausible messages of every type, and their mutations (fields dropped,
 * replaced, retyped; JSON cut or corrupted; binary frames). Replies are read asynchronously and
 * each is validated with the protocol's parseServerMessage. Afterwards: every connection still
 * answers ping; no INTERNAL error; every stored event came from an acknowledged message and every
 * acknowledged event is stored (nothing partially applied); each touched document's state rebuilds
 * in a core Doc and equals the replay of its stored events; Object.prototype is untouched.
 * Seeded (TANDEM_SEED); replies arrive asynchronously, so a seed fixes the messages' recipe but
 * not every detail of a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { docId as toDocId } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { pino } from 'pino';
import WebSocket from 'ws';
import { parseServerMessage } from '@tandem/protocol';
import { withDeadline } from './support/deadline.js';
import { SERVER_AGENT_PREFIX } from '../src/sync/document-session.js';
import { EventSet, contentOf, eventKey, normalizeContent, payloadOf, rebuild } from './support/event-log.js';
import { baseMessage, mutateText, mutateValue } from './support/fuzz-messages.js';
import type { FuzzContext } from './support/fuzz-messages.js';
import { FUZZ_USERS, FuzzRun } from './support/fuzz-run.js';
import { SeededRandom, testSeed } from './support/storage-random.js';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';
import type { RunningServer } from './support/test-server.js';

const TARGET = Number(process.env['TANDEM_FUZZ_MESSAGES'] ?? 100_000);
/** Batches per generation of documents. */
const GENERATION = 6;

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

function prototypeShape(): string {
  return JSON.stringify([Object.getOwnPropertyNames(Object.prototype).sort(), Object.getOwnPropertyNames(Array.prototype).sort()]);
}

/** Stored = acknowledged, gap-free, and the server's state = the replay of its stored events. */
async function checkDocument(srv: RunningServer, run: FuzzRun, docId: string): Promise<boolean> {
  const store = srv.server.services.store;
  const stored = await store.loadEvents(toDocId(docId), 0);
  const acked = run.acked.get(docId) ?? new EventSet();
  if (stored.length === 0 && acked.size === 0) return false;
  stored.forEach((x, i) => assert.equal(x.version, i + 1, `${docId}: gap-free versions`));
  const kept = new EventSet();
  kept.addAll(stored.map((x) => x.event));
  for (const x of stored) {
    if (x.event.id.agent.startsWith(SERVER_AGENT_PREFIX)) continue; // made by the server for plain OT ops
    assert.equal(acked.payload(x.event), payloadOf(x.event), `${docId}: stored ${eventKey(x.event)} came from an acknowledged message`);
  }
  for (const e of acked.events()) assert.equal(kept.payload(e), payloadOf(e), `${docId}: acknowledged ${eventKey(e)} is stored`);
  const replay = contentOf(rebuild(stored.map((x) => x.event)));
  const owner = (await store.getDocument(toDocId(docId)))?.owner ?? 'fz0';
  const c = await TestClient.hello(srv.url, owner);
  try {
    c.send({ type: 'join_session', docId, mode: 'ot' });
    const ot = await c.next<Of<'session_joined'>>((m) => m.type === 'session_joined');
    assert.equal(ot.version, stored.length, `${docId}: served version = stored events`);
    assert.deepEqual(normalizeContent(ot.content, ot.maps), replay, `${docId}: the server's state equals the replay of its stored events`);
    c.send({ type: 'leave_session', docId });
    c.send({ type: 'join_session', docId });
    const ev = await c.next<Of<'session_joined'>>((m) => m.type === 'session_joined');
    assert.deepEqual(contentOf(rebuild(ev.events ?? [])), replay, `${docId}: a fresh client rebuilds the same state`);
  } finally {
    c.close();
  }
  return true;
}

test(`the message handler survives ${TARGET} random and mutated messages without partial changes`, { timeout: 300_000 }, async (t) => {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (reproduce with TANDEM_SEED=${seed}); ${TARGET} messages`);
  const before = prototypeShape();
  const logLines: string[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      if (logLines.length < 200) logLines.push(chunk.toString('utf8').slice(0, 2000));
      done();
    },
  });
  const srv = await startTestServer({ limits: { ratePerSecond: 10_000_000, rateBurst: 10_000_000 } }, { logger: pino({ level: 'warn' }, sink) });
  const run = new FuzzRun(srv, new SeededRandom(seed), seed);
  try {
    await run.open();
    for (let batch = 0; run.stats.sent < TARGET; batch++) {
      if (batch % GENERATION === 0) await run.startGeneration(batch / GENERATION);
      await Promise.all(run.peers.map((s) => run.runBatch(s, batch)));
      for (const s of run.peers) assert.equal(s.peer.closeCode, undefined, `connection ${s.user} stayed open (batch ${batch})`);
    }
    // Every connection still answers; every reply was well-formed; nothing failed internally.
    for (const s of run.peers) {
      await s.peer.barrier(42);
      assert.deepEqual(s.peer.malformed, [], `${s.user}: every reply is a well-formed server message`);
      assert.deepEqual(s.peer.internal, [], `${s.user}: no INTERNAL errors`);
    }
    assert.deepEqual(run.brokenStates, [], 'every whole history a server sent rebuilds in a core Doc');
    assert.equal(prototypeShape(), before, 'Object.prototype is untouched');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    const touched = new Set<string>();
    for (const u of FUZZ_USERS) for (const d of await srv.server.services.store.listDocuments(u)) touched.add(d.id);
    let checked = 0;
    for (const docId of touched) if (await checkDocument(srv, run, docId)) checked++;

    const { stats } = run;
    const replies = run.peers.reduce((n, s) => n + s.peer.replies, 0);
    const codes = new Map<string, number>();
    for (const s of run.peers) for (const [k, v] of s.peer.errorCodes) codes.set(k, (codes.get(k) ?? 0) + v);
    t.diagnostic(`${stats.sent} messages, ${replies} replies, ${stats.acks} acks (${stats.validAcked}/${stats.validSent} valid edits, ${stats.plausibleAcked} plausible events), ${checked} documents checked`);
    t.diagnostic(`errors: ${[...codes].map(([k, v]) => `${k}=${v}`).join(' ')}; on valid edits: ${[...run.validErrors].map(([k, v]) => `${k}=${v}`).join(' ')}`);
    assert.ok(stats.sent >= TARGET);
    assert.ok(stats.validAcked > stats.validSent / 2, 'most valid edits were accepted (the fuzzer reached the commit path)');
  } catch (e) {
    t.diagnostic(`failed: reproduce with TANDEM_SEED=${seed}`);
    for (const line of logLines.filter((l) => l.includes('"level":50')).slice(0, 3)) t.diagnostic(`server error: ${line}`);
    throw e;
  } finally {
    for (const s of run.peers) s.peer.close();
    await srv.stop();
  }
});

/** One fresh connection: a few (mostly mutated) messages before any handshake; resolves with its replies. */
async function handshakeAttempt(url: string, frames: readonly string[]): Promise<{ replies: unknown[]; malformed: string[]; welcomed: boolean; code: number | undefined }> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const replies: unknown[] = [];
  const malformed: string[] = [];
  let welcomed = false;
  let code: number | undefined;
  const closed = new Promise<void>((resolve) => ws.once('close', (c: number) => ((code = c), resolve())));
  ws.on('error', () => undefined);
  ws.on('message', (data: Buffer) => {
    try {
      const m = parseServerMessage(data);
      replies.push(m);
      if (m.type === 'welcome') {
        welcomed = true;
        ws.close();
      }
    } catch (e) {
      malformed.push(`${String(e)}: ${data.toString('utf8').slice(0, 200)}`);
    }
  });
  await withDeadline(new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject))), 5_000, 'a connection to open');
  for (const f of frames) ws.send(f);
  // Unwelcomed connections end by the (short) handshake timeout at the latest.
  await withDeadline(closed, 10_000, 'the connection to end');
  return { replies, malformed, welcomed, code };
}

test('random and mutated first messages: a welcome or an error and a 1008/1009 close, never anything else', { timeout: 120_000 }, async (t) => {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (reproduce with TANDEM_SEED=${seed})`);
  const rng = new SeededRandom(seed);
  const srv = await startTestServer({ limits: { handshakeTimeoutMs: 200, maxPreHandshakeMessages: 3, maxMessageBytes: 16 * 1024 } });
  const ctx: FuzzContext = { docs: ['d'], rooms: ['r'], knownIds: () => [], textLength: () => 0, connectionIds: () => [], nextOperationId: () => 'op' };
  let sent = 0;
  let welcomed = 0;
  const codes = new Map<number, number>();
  try {
    for (let round = 0; round < 30; round++) {
      const attempts = Array.from({ length: 20 }, () => {
        const frames: string[] = [];
        for (let n = rng.range(1, 5); n > 0; n--) {
          const m = baseMessage(rng, ctx, rng.bool(0.6) ? 'hello' : undefined);
          if (rng.bool(0.6)) for (let k = rng.range(1, 2); k > 0; k--) mutateValue(rng, m);
          frames.push(rng.bool(0.15) ? mutateText(rng, JSON.stringify(m)) : JSON.stringify(m));
        }
        sent += frames.length;
        return handshakeAttempt(srv.url, frames);
      });
      for (const r of await Promise.all(attempts)) {
        assert.deepEqual(r.malformed, [], 'every reply is a well-formed server message');
        if (r.welcomed) welcomed++;
        else {
          assert.ok(r.code === 1008 || r.code === 1009, `an unwelcomed connection is closed with 1008 or 1009, got ${String(r.code)}`);
          codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
        }
      }
    }
    t.diagnostic(`${sent} messages on 600 connections: ${welcomed} welcomed; closes ${[...codes].map(([k, v]) => `${k}=${v}`).join(' ')}`);
    assert.ok(welcomed > 0 && welcomed < 600);
  } finally {
    await srv.stop();
  }
});
