/**
 * A throttle that coalesces: `request()` asks for a flush; the first runs at once, later ones
 * within `intervalMs` of the previous flush collapse into one flush at the end of the interval.
 * Presence goes out this way: a dragged selection produces dozens of changes per second, and
 * only the latest one matters to others.
 */
import { Timer } from '../util/timer.js';

export class CoalescingThrottle {
  private lastFlush = Number.NEGATIVE_INFINITY;
  private readonly timer = new Timer();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly flush: () => void,
  ) {}

  request(): void {
    if (this.timer.pending) return;
    const wait = this.lastFlush + this.intervalMs - this.now();
    if (wait <= 0) this.run();
    else this.timer.set(wait, () => this.run());
  }

  /** Drops a scheduled flush. */
  cancel(): void {
    this.timer.clear();
  }

  private run(): void {
    this.lastFlush = this.now();
    this.flush();
  }
}
