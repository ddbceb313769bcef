/**
 * A token bucket: `ratePerSecond` sustained, `burst` at once. The client spends one token per
 * operation message so that it stays under the server's per-connection rate limit, which drops
 * excess messages outright rather than queueing them.
 */

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError(`token bucket needs a positive rate and a burst ≥ 1, got ${ratePerSecond} / ${burst}`);
    this.tokens = burst;
    this.updatedAt = now();
  }

  /** Takes a token: 0 when one was available, else the ms until one will be (nothing taken). */
  take(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.updatedAt) * this.ratePerSecond) / 1000);
    this.updatedAt = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }
}
