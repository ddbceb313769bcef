/**
 * Throttle owns the broadcast budget of one source connection: broadcasts at least `intervalMs`
 * apart, and whatever arrives in between coalesced into one flush when the budget allows. The
 * flush reads the current state when it runs, so the latest update always wins and is always
 * delivered; nothing is queued per update, so a flood costs no memory.
 */
import type { CancelScheduled, PresenceScheduler } from './types.js';

export class Throttle {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private cancelPending: CancelScheduled | null = null;
  private disposed = false;

  /**
   * @param flush sends whatever changed and returns true if it sent anything; a flush that found
   *   nothing new does not spend the budget.
   */
  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly schedule: PresenceScheduler,
    private readonly flush: () => boolean,
  ) {}

  /** Something changed: flush now if the budget allows, else once it does. */
  request(): void {
    if (this.disposed || this.cancelPending !== null) return; // the due flush will see this change too
    const wait = this.lastSentAt + this.intervalMs - this.now();
    if (wait <= 0) {
      this.run();
      return;
    }
    this.cancelPending = this.schedule(wait, () => {
      this.cancelPending = null;
      // A scheduler may fire a callback it was asked to cancel; a disposed throttle stays silent.
      if (!this.disposed) this.run();
    });
  }

  /** True while a coalesced flush is waiting for the budget. */
  get pending(): boolean {
    return this.cancelPending !== null;
  }

  /** Drops any pending flush for good (the source connection left). */
  dispose(): void {
    this.disposed = true;
    this.cancelPending?.();
    this.cancelPending = null;
  }

  private run(): void {
    if (this.flush()) this.lastSentAt = this.now();
  }
}
