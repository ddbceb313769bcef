/**
 * The load engine of one process: connects its clients (documents in parallel, the clients of one
 * document in order), then offers random edits at a fixed rate (open loop: edits are due by the
 * clock, whatever the server does) to clients picked at random, and keeps the cumulative figures:
 * edits offered, made and delivered, the latency histogram, CPU time and client issues.
 */
import { performance } from 'node:perf_hooks';
import { DocTracker } from './delivery-tracker.js';
import { LatencyHistogram } from './histogram.js';
import { ClientIssues, loadDriver } from './load-driver.js';
import type { LoadClient, LoadDriver } from './load-driver.js';
import type { WorkerConfig, WorkerSnapshot } from './load-messages.js';
import { Prng } from './prng.js';
import { TypingModel } from './typing-model.js';

interface ActiveClient {
  readonly client: LoadClient;
  readonly model: TypingModel;
}

/** The generator never owes more than this much of the schedule: beyond it, due edits are skipped and counted. */
const MAX_BACKLOG_S = 1;

export class LoadEngine {
  private readonly histogram = new LatencyHistogram();
  private readonly issues = new ClientIssues();
  private readonly trackers: DocTracker[] = [];
  private readonly clients: ActiveClient[] = [];
  private readonly random: Prng;
  private running = true;
  private startedAt = 0;
  private cpuAtStart = process.cpuUsage();
  private offered = 0;
  private made = 0;
  private skipped = 0;
  /** Edits a client could not make (its connection closed or it failed). */
  private failedEdits = 0;
  private delivered = 0;
  private undelivered = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly config: WorkerConfig,
    private readonly driver: LoadDriver,
  ) {
    this.random = new Prng(config.seed);
  }

  static async create(config: WorkerConfig): Promise<LoadEngine> {
    return new LoadEngine(config, await loadDriver(config.system));
  }

  get clientCount(): number {
    return this.clients.length;
  }

  /** Connects every client; resolves with each client's connection setup time (connect to holding the document), in ms. */
  async connect(): Promise<number[]> {
    const setup: number[] = [];
    const deadline = performance.now() + this.config.connectTimeoutMs;
    let nextDoc = 0;
    let clientNumber = 0;
    const connectDoc = async (docIndex: number): Promise<void> => {
      const { docId, clients } = this.config.docs[docIndex]!;
      const tracker = new DocTracker(
        (ms) => {
          this.histogram.record(ms);
          this.delivered++;
        },
        () => performance.now(),
      );
      this.trackers.push(tracker);
      for (let i = 0; i < clients; i++) {
        if (performance.now() > deadline) throw new Error(`connecting took longer than ${this.config.connectTimeoutMs} ms`);
        const started = performance.now();
        const client = await this.driver.connect({
          url: this.config.url,
          docId,
          clientName: `${this.config.namePrefix}-${clientNumber++}`,
          ...(this.config.token !== undefined ? { token: this.config.token } : {}),
          tracker,
          issues: this.issues,
          running: () => this.running,
        });
        setup.push(performance.now() - started);
        this.clients.push({ client, model: new TypingModel(this.random.fork(this.clients.length)) });
      }
      tracker.setReceivers(clients - 1);
    };
    const lanes = Array.from({ length: Math.max(1, Math.min(this.config.connectConcurrency, this.config.docs.length)) }, async () => {
      while (nextDoc < this.config.docs.length) await connectDoc(nextDoc++);
    });
    await Promise.all(lanes);
    return setup;
  }

  /** Starts offering edits; `onMeasured` is called at the end of the measured window, `onDone` after the drain. */
  start(onMeasured: (s: WorkerSnapshot) => void, onDone: (s: WorkerSnapshot) => void): void {
    this.startedAt = performance.now();
    this.cpuAtStart = process.cpuUsage();
    const endAt = this.startedAt + this.config.durationMs;
    const tick = (): void => {
      const now = performance.now();
      if (now >= endAt) {
        this.offerUntil(endAt);
        onMeasured(this.snapshot());
        this.drain(now + this.config.drainMs, onDone);
        return;
      }
      this.offerUntil(now);
      this.timer = setTimeout(tick, 1);
    };
    this.timer = setTimeout(tick, 1);
  }

  private offerUntil(now: number): void {
    const due = Math.floor((this.config.rate * (now - this.startedAt)) / 1000);
    let owed = due - this.offered;
    this.offered = due;
    const maxOwed = Math.max(1, Math.ceil(this.config.rate * MAX_BACKLOG_S));
    if (owed > maxOwed) {
      this.skipped += owed - maxOwed;
      owed = maxOwed;
    }
    const n = this.clients.length;
    if (n === 0) return;
    for (let i = 0; i < owed; i++) {
      const c = this.clients[this.random.int(n)]!;
      if (c.client.edit(c.model)) this.made++;
      else this.failedEdits++;
    }
  }

  private outstanding(): number {
    let n = 0;
    for (const t of this.trackers) n += t.outstanding;
    return n;
  }

  private drain(until: number, onDone: (s: WorkerSnapshot) => void): void {
    const poll = (): void => {
      if (this.outstanding() > 0 && performance.now() < until) {
        this.timer = setTimeout(poll, 20);
        return;
      }
      this.running = false;
      for (const t of this.trackers) this.undelivered += t.flushUndelivered((ms) => this.histogram.record(ms));
      const final = this.snapshot();
      for (const c of this.clients) c.client.close();
      onDone(final);
    };
    poll();
  }

  snapshot(): WorkerSnapshot {
    const cpu = process.cpuUsage(this.cpuAtStart);
    return {
      elapsedMs: this.startedAt === 0 ? 0 : performance.now() - this.startedAt,
      offered: this.offered,
      made: this.made,
      skipped: this.skipped,
      failed: this.failedEdits,
      delivered: this.delivered,
      outstanding: this.outstanding(),
      undelivered: this.undelivered,
      histogram: this.histogram.toJSON(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      issues: {
        errors: Object.fromEntries(this.issues.errors),
        rateLimited: this.issues.rateLimited,
        disconnects: this.issues.disconnects,
        samples: [...this.issues.samples],
      },
    };
  }

  /** Stops at once (abort): no more edits, every connection closed. */
  abort(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const c of this.clients) c.client.close();
  }
}
