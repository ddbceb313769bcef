/**
 * Samples the client's metrics once a second into a short history (the last two minutes) for the
 * performance dashboard: the SDK gives cumulative byte and message counters and latency
 * percentiles over its recent window; rates are the differences between two samples. Document
 * events per second count every change applied to the document, mine and others'. Direct links
 * (peer-to-peer) are this document's peers as the SDK reports them, plus which path delivered
 * remote events first (those totals are the client's, all documents).
 */
import { useEffect, useState } from 'react';
import type { LatencySummary, PeerMetrics, TandemClient, TandemDocument, TransportKind } from '@tandem/client';

/** The direct-link side of a sample. */
export interface P2PSample {
  readonly enabled: boolean;
  /** This document's peers (one per connection of another user or tab). */
  readonly peers: readonly PeerMetrics[];
  /** Remote events first delivered over a direct link / by the server. */
  readonly eventsViaP2P: number;
  readonly eventsViaServer: number;
}

export interface Sample {
  /** ms since the epoch. */
  readonly at: number;
  /** Local edit → durable acknowledgement, ms. */
  readonly latency: LatencySummary;
  /** Heartbeat round trip, ms. */
  readonly rtt: LatencySummary;
  /** Bytes per second received / sent over the last interval. */
  readonly inRate: number;
  readonly outRate: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Protocol messages per second, both directions. */
  readonly messagesPerSecond: number;
  /** Changes applied to the document per second (local and remote). */
  readonly eventsPerSecond: number;
  readonly transport: TransportKind;
  readonly reconnects: number;
  readonly pending: number;
  readonly p2p: P2PSample;
}

export const SAMPLE_MS = 1_000;
const KEEP = 120;

export function useMetricsHistory(client: TandemClient, doc: TandemDocument): readonly Sample[] {
  const [samples, setSamples] = useState<readonly Sample[]>([]);
  useEffect(() => {
    let changes = 0;
    const off = doc.on('change', () => {
      changes++;
    });
    let last = { at: Date.now(), m: client.metrics };
    const take = (): void => {
      const at = Date.now();
      const m = client.metrics;
      const seconds = Math.max(0.001, (at - last.at) / 1000);
      const sample: Sample = {
        at,
        latency: m.eventRoundTrip,
        rtt: m.rtt,
        inRate: (m.bytesIn - last.m.bytesIn) / seconds,
        outRate: (m.bytesOut - last.m.bytesOut) / seconds,
        bytesIn: m.bytesIn,
        bytesOut: m.bytesOut,
        messagesPerSecond: (m.messagesIn - last.m.messagesIn + m.messagesOut - last.m.messagesOut) / seconds,
        eventsPerSecond: changes / seconds,
        transport: m.transport,
        reconnects: m.reconnects,
        pending: doc.pendingCount,
        p2p: {
          enabled: m.p2p.enabled,
          peers: m.p2p.peers.filter((p) => p.docId === doc.id),
          eventsViaP2P: m.p2p.eventsViaP2P,
          eventsViaServer: m.p2p.eventsViaServer,
        },
      };
      changes = 0;
      last = { at, m };
      setSamples((prev) => [...prev.slice(-(KEEP - 1)), sample]);
    };
    const timer = setInterval(take, SAMPLE_MS);
    return () => {
      clearInterval(timer);
      off();
    };
  }, [client, doc]);
  return samples;
}
