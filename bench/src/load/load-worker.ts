/**
 * Entry point of a load worker process (forked by the load coordinator): takes its share of the run
 * over IPC, connects its clients, waits for the start signal, reports its figures once a second, at
 * the end of the measured window and after the drain, then closes its clients and exits. It exits on
 * its own if the coordinator goes away or the run overstays its time.
 */
import { LoadEngine } from './load-engine.js';
import type { FromWorker, ToWorker, WorkerConfig } from './load-messages.js';

function post(message: FromWorker): void {
  process.send?.(message);
}

let engine: LoadEngine | undefined;

async function configure(config: WorkerConfig): Promise<void> {
  // Hard bound on the worker's life: connecting, the run, the drain, and a margin.
  const lifetime = config.connectTimeoutMs + config.durationMs + config.drainMs + 120_000;
  setTimeout(() => process.exit(3), lifetime).unref();
  try {
    engine = await LoadEngine.create(config);
    const connectMs = await engine.connect();
    post({ type: 'connected', clients: engine.clientCount, connectMs });
  } catch (err) {
    engine?.abort();
    post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    setTimeout(() => process.exit(1), 200);
  }
}

function start(): void {
  const e = engine;
  if (e === undefined) return;
  const progress = setInterval(() => post({ type: 'progress', snapshot: e.snapshot() }), 1000);
  e.start(
    (snapshot) => post({ type: 'measured', snapshot }),
    (snapshot) => {
      clearInterval(progress);
      post({ type: 'final', snapshot });
      // Let the closes go out, then leave.
      setTimeout(() => process.exit(0), 300);
    },
  );
}

process.on('message', (raw: unknown) => {
  const message = raw as ToWorker;
  switch (message.type) {
    case 'config':
      void configure(message.config);
      return;
    case 'start':
      start();
      return;
    case 'abort':
      engine?.abort();
      setTimeout(() => process.exit(2), 200);
      return;
  }
});
process.on('disconnect', () => {
  engine?.abort();
  process.exit(2);
});
