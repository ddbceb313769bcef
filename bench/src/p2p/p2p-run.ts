/**
 * One measured run of the peer-to-peer benchmark: N TandemClients (the real SDK, in this process)
 * on one document of a Tandem server (its own process), with P2P on (werift data channels over
 * loopback) or off. Clients take turns making one edit at a steady pace; every other client's
 * replica reports when the edit's event was applied, by whichever path came first. Also measures
 * how long the mesh took to form and each link's setup time.
 */
import type { Event } from '@tandem/core';
import { TandemClient, type TandemDocument } from '@tandem/client';
import { weriftPeerConnection } from '@tandem/client/node';
import WebSocket from 'ws';

export interface P2PRunOptions {
  readonly url: string;
  readonly docId: string;
  readonly peers: number;
  readonly p2p: boolean;
  /** Edits measured (after `warmup` unmeasured ones). */
  readonly edits: number;
  readonly warmup: number;
  /** Pause between two edits, ms. */
  readonly intervalMs: number;
  /** Give up waiting for the mesh after this long, ms. */
  readonly meshTimeoutMs: number;
}

export interface P2PRunResult {
  readonly peers: number;
  readonly p2p: boolean;
  /** Edit → applied at another client, ms, one sample per (edit, receiver). */
  readonly latencies: number[];
  /** Per link: start → data channel open, ms (P2P runs). */
  readonly linkSetupMs: number[];
  /** From every client having joined until every client had a link to every other, ms (P2P runs). */
  readonly meshMs: number | undefined;
  /** Remote events first delivered over P2P / from the server, all clients. */
  readonly viaP2P: number;
  readonly viaServer: number;
  /** Samples expected but never seen before the deadline. */
  readonly missing: number;
}

const eventKey = (e: Event): string => `${e.id.seq}:${e.id.agent}`;

function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (performance.now() - started > timeoutMs) reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      else setTimeout(check, 5);
    };
    check();
  });
}

/** Waits until every document is synced; the error says where each one stands. */
async function allSynced(docs: readonly TandemDocument[], clients: readonly TandemClient[], when: string): Promise<void> {
  try {
    await Promise.all(docs.map((d) => d.whenSynced(30_000)));
  } catch (err) {
    const states = docs.map((d, i) => ({ status: clients[i]!.status, level: d.level, synced: d.synced, unacknowledged: d.pendingCount, buffered: d.replica.pendingCount, serverVersion: d.serverVersion }));
    throw new Error(`${when}: ${err instanceof Error ? err.message : String(err)}; documents: ${JSON.stringify(states)}`);
  }
}

export async function runP2P(o: P2PRunOptions): Promise<P2PRunResult> {
  const clients: TandemClient[] = [];
  for (let i = 0; i < o.peers; i++) {
    clients.push(
      new TandemClient({
        url: o.url,
        WebSocket,
        devUser: { id: 'bench', name: 'bench' },
        tabs: false,
        network: false,
        ...(o.p2p ? { p2p: { peerConnection: weriftPeerConnection({ loopbackOnly: true }), maxPeers: Math.max(8, o.peers) } } : {}),
      }),
    );
  }
  try {
    const docs: TandemDocument[] = [];
    for (const c of clients) docs.push(await c.open(o.docId));
    await allSynced(docs, clients, 'after joining');
    const joinedAt = performance.now();
    let meshMs: number | undefined;
    if (o.p2p) {
      const want = o.peers - 1;
      await waitFor('a full mesh', () => clients.every((c) => c.metrics.p2p.peers.filter((p) => p.transport === 'p2p').length === want), o.meshTimeoutMs);
      meshMs = performance.now() - joinedAt;
    }
    // When each event was made, and when each other replica applied it.
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    let measuring = false;
    let expected = 0;
    const offs = docs.map((d) =>
      d.replica.subscribe((_changes, origin, events) => {
        if (origin !== 'remote') return;
        const now = performance.now();
        for (const e of events) {
          const t = sentAt.get(eventKey(e));
          if (t !== undefined && measuring) latencies.push(now - t);
        }
      }),
    );
    const captured: Event[] = [];
    const writerOffs = docs.map((d) =>
      d.replica.subscribe((_changes, origin, events) => {
        if (origin !== 'remote') for (const e of events) captured.push(e);
      }),
    );
    const before = clients.map((c) => c.metrics.p2p);
    for (let i = 0; i < o.warmup + o.edits; i++) {
      measuring = i >= o.warmup;
      const doc = docs[i % docs.length]!;
      captured.length = 0;
      const t = performance.now();
      doc.text().insert(doc.text().length, `${i % 10}`);
      for (const e of captured) sentAt.set(eventKey(e), t);
      if (measuring) expected += captured.length * (o.peers - 1);
      await new Promise((r) => setTimeout(r, o.intervalMs));
    }
    // A sample that never comes is reported as missing, not waited for forever.
    await waitFor('every edit everywhere', () => latencies.length >= expected, 30_000).catch(() => undefined);
    for (const off of [...offs, ...writerOffs]) off();
    await allSynced(docs, clients, 'after the edits');
    const after = clients.map((c) => c.metrics.p2p);
    const linkSetupMs = after.flatMap((m) => m.peers.map((p) => p.setupMs).filter((s): s is number => s !== undefined));
    return {
      peers: o.peers,
      p2p: o.p2p,
      latencies,
      linkSetupMs,
      meshMs,
      viaP2P: after.reduce((s, m, i) => s + m.eventsViaP2P - before[i]!.eventsViaP2P, 0),
      viaServer: after.reduce((s, m, i) => s + m.eventsViaServer - before[i]!.eventsViaServer, 0),
      missing: Math.max(0, expected - latencies.length),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}
