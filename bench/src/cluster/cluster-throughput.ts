/**
 * Total throughput of a cluster on many documents: one writer per document, spread round-robin
 * over the nodes, each keeping `window` operations in flight (the next sent on each ack), and one
 * reader per document on the next node (so with several nodes every event also crosses nodes).
 * Counts acknowledged events and events delivered to readers per second of the measured span.
 */
import { Doc } from '@tandem/core';
import type { Event } from '@tandem/core';
import { TandemWireClient } from '../load/tandem-wire-client.js';

export interface ThroughputOptions {
  readonly urls: readonly string[];
  readonly docs: number;
  readonly window: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface ThroughputResult {
  readonly nodes: number;
  readonly ackedPerSecond: number;
  readonly deliveredPerSecond: number;
}

export async function measureThroughput(o: ThroughputOptions): Promise<ThroughputResult> {
  let measuring = false;
  let stopped = false;
  let acked = 0;
  let delivered = 0;
  const clients: TandemWireClient[] = [];
  const writers: (() => void)[] = [];
  for (let d = 0; d < o.docs; d++) {
    const docId = `tp-${d}`;
    const writer = await TandemWireClient.connect(o.urls[d % o.urls.length]!, { devUser: 'bench' });
    await writer.join(docId);
    const reader = await TandemWireClient.connect(o.urls[(d + 1) % o.urls.length]!, { devUser: 'bench' });
    await reader.join(docId);
    clients.push(writer, reader);
    reader.onMessage((m) => {
      if (measuring && m.type === 'remote_operation' && 'events' in m) delivered += m.events.length;
    });
    const doc = new Doc({ agent: `tp${d}` });
    let inFlight = 0;
    const send = (): void => {
      while (!stopped && inFlight < o.window) {
        const e = doc.insert('body', doc.textLength('body'), 'y') as Event;
        writer.send({ type: 'operation', docId, operationId: `${docId}-${e.id.seq}`, events: [e] });
        inFlight++;
      }
    };
    writer.onMessage((m) => {
      if (m.type !== 'operation_ack') return;
      inFlight--;
      if (measuring) acked++;
      send();
    });
    writers.push(send);
  }
  for (const start of writers) start();
  await new Promise((r) => setTimeout(r, o.warmupMs));
  measuring = true;
  await new Promise((r) => setTimeout(r, o.durationMs));
  measuring = false;
  stopped = true;
  for (const c of clients) c.close();
  return { nodes: o.urls.length, ackedPerSecond: (acked * 1000) / o.durationMs, deliveredPerSecond: (delivered * 1000) / o.durationMs };
}
