/**
 * Cross-node against same-node delivery latency. On each of `docs` documents a writer sends events
 * at a steady pace (together about `rate` events per second, each event its own operation, none
 * waiting for acks), one reader on the writer's node and one on the other node take them in; the
 * latency of an event is from the writer's send to each reader's `remote_operation`. Writers
 * alternate between the two nodes, so both carry the load. Same-node latency is the commit
 * (PostgreSQL) plus the fan-out; cross-node adds the Redis notice and the other node's read of the
 * events from PostgreSQL.
 */
import { Doc } from '@tandem/core';
import type { Event } from '@tandem/core';
import { LatencyHistogram } from '../load/histogram.js';
import { TandemWireClient } from '../load/tandem-wire-client.js';

export interface LatencyOptions {
  readonly urls: readonly [string, string];
  readonly docs: number;
  readonly rate: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface LatencyResult {
  readonly sameNode: LatencyHistogram;
  readonly crossNode: LatencyHistogram;
  readonly sent: number;
  readonly achievedRate: number;
  readonly lost: { readonly same: number; readonly cross: number };
}

export async function measureLatency(o: LatencyOptions): Promise<LatencyResult> {
  const sameNode = new LatencyHistogram();
  const crossNode = new LatencyHistogram();
  const sentAt = new Map<string, number>();
  const seen = { same: 0, cross: 0 };
  let measuring = false;
  let measuredSends = 0;
  const writers: { client: TandemWireClient; doc: Doc; docId: string }[] = [];
  const clients: TandemWireClient[] = [];
  for (let d = 0; d < o.docs; d++) {
    const docId = `lat-${d}`;
    const home = d % 2;
    const writer = await TandemWireClient.connect(o.urls[home]!, { devUser: 'bench' });
    await writer.join(docId);
    clients.push(writer);
    writers.push({ client: writer, doc: new Doc({ agent: `w${d}` }), docId });
    for (const [url, histogram, key] of [
      [o.urls[home]!, sameNode, 'same'],
      [o.urls[1 - home]!, crossNode, 'cross'],
    ] as const) {
      const reader = await TandemWireClient.connect(url, { devUser: 'bench' });
      await reader.join(docId);
      clients.push(reader);
      reader.onMessage((m) => {
        if (m.type !== 'remote_operation' || !('events' in m)) return;
        const now = performance.now();
        for (const e of m.events) {
          const at = sentAt.get(`${e.id.agent}:${e.id.seq}`);
          if (at === undefined) continue;
          histogram.record(now - at);
          seen[key]++;
        }
      });
    }
    writer.onMessage(() => undefined);
  }
  // One scheduler for every writer: a tick every millisecond sends what the pace owes by then.
  const perMs = o.rate / 1000;
  const started = performance.now();
  let owed = 0;
  let sent = 0;
  let next = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      if (!measuring && now - started >= o.warmupMs) measuring = true;
      if (now - started >= o.warmupMs + o.durationMs) {
        clearInterval(timer);
        resolve();
        return;
      }
      owed = perMs * (now - started) - sent;
      for (; owed >= 1; owed--) {
        const w = writers[next++ % writers.length]!;
        const e = w.doc.insert('body', w.doc.textLength('body'), 'x') as Event;
        if (measuring) {
          sentAt.set(`${e.id.agent}:${e.id.seq}`, performance.now());
          measuredSends++;
        }
        w.client.send({ type: 'operation', docId: w.docId, operationId: `${w.docId}-${e.id.seq}`, events: [e] });
        sent++;
      }
    }, 1);
  });
  // Late deliveries of measured events still count (they are the tail).
  const deadline = performance.now() + 10_000;
  while ((seen.same < measuredSends || seen.cross < measuredSends) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const c of clients) c.close();
  return {
    sameNode,
    crossNode,
    sent: measuredSends,
    achievedRate: (measuredSends * 1000) / o.durationMs,
    lost: { same: measuredSends - seen.same, cross: measuredSends - seen.cross },
  };
}
