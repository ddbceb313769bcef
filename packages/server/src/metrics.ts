/**
 * ServerMetrics owns the Prometheus metrics of one server instance, in a registry of its own (no
 * global state, so several servers can run in one process, as the tests do).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'tandem_connections', help: 'Open WebSocket connections', registers: [this.registry] });
  readonly openDocuments = new Gauge({ name: 'tandem_open_documents', help: 'Documents loaded in memory', registers: [this.registry] });
  readonly events = new Counter({ name: 'tandem_events_total', help: 'Events committed', registers: [this.registry] });
  readonly messages = new Counter({ name: 'tandem_messages_total', help: 'Messages received, by type', labelNames: ['type'], registers: [this.registry] });
  readonly errors = new Counter({ name: 'tandem_errors_total', help: 'Errors sent to clients, by code', labelNames: ['code'], registers: [this.registry] });
  readonly ackLatency = new Histogram({
    name: 'tandem_ack_latency_seconds',
    help: 'Time from receiving an operation to acknowledging it (includes the storage commit)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly storageLatency = new Histogram({
    name: 'tandem_storage_latency_seconds',
    help: 'Storage call latency, by operation',
    labelNames: ['op'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
