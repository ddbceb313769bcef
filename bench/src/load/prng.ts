/**
 * A small seeded pseudo-random generator (a 32-bit xorshift-multiply mix), so a load run with the
 * same seed makes the same choices of clients and edits. Not for anything security-related.
 */

export class Prng {
  private state: number;

  constructor(seed: number) {
    // Never zero: a zero state would stay zero.
    this.state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0 || 0x6d2b79f5;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A new generator whose sequence depends on this one's seed and `salt` (one per worker or client). */
  fork(salt: number): Prng {
    return new Prng(Math.floor(this.next() * 4294967296) ^ Math.imul(salt + 1, 0x85ebca6b));
  }
}
