/**
 * ClientMetrics owns the numbers a client reports about its connection: round-trip time of
 * heartbeats, event round-trip latency (a local edit until the server acknowledged it durably
 * stored), bytes in and out, reconnects, and the transport in use. The connection and document
 * layers write here; apps read `client.metrics`.
 */
import { P2PMetrics, type P2PMetricsSnapshot } from '../p2p/p2p-metrics.js';
import { LatencyWindow, type LatencySummary } from './latency-window.js';

/** Which transport carries the protocol right now. */
export type TransportKind = 'websocket' | 'sse' | 'none';

/** A point-in-time copy of the metrics, safe to log or send. */
export interface MetricsSnapshot {
  /** Heartbeat ping → pong, in ms. */
  readonly rtt: LatencySummary;
  /** Local edit → operation_ack, in ms, per event. */
  readonly eventRoundTrip: LatencySummary;
  /** UTF-8 bytes of frames received / sent. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Connections established after the first one. */
  readonly reconnects: number;
  readonly transport: TransportKind;
  /** Peer-to-peer links per document peer, and which path delivered remote events first. */
  readonly p2p: P2PMetricsSnapshot;
}

export class ClientMetrics {
  readonly rtt: LatencyWindow;
  readonly eventRoundTrip: LatencyWindow;
  bytesIn = 0;
  bytesOut = 0;
  messagesIn = 0;
  messagesOut = 0;
  reconnects = 0;
  transport: TransportKind = 'none';
  readonly p2p = new P2PMetrics();

  constructor(windowSize = 1024) {
    this.rtt = new LatencyWindow(windowSize);
    this.eventRoundTrip = new LatencyWindow(windowSize);
  }

  snapshot(): MetricsSnapshot {
    return {
      rtt: this.rtt.summary(),
      eventRoundTrip: this.eventRoundTrip.summary(),
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      reconnects: this.reconnects,
      transport: this.transport,
      p2p: this.p2p.snapshot(),
    };
  }
}
