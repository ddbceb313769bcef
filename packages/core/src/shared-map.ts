/**
 * SharedMap owns the state of one named map of a document: a last-writer-wins register per key.
 * The winner of a key is the write with the highest (Lamport time, agent id). A write that saw another
 * has a higher Lamport time, so it wins; concurrent writes are ordered by Lamport time, then agent id.
 * The rule needs no graph walk, is commutative and idempotent, so every replica agrees.
 */
import type { JsonValue } from './event.js';

export interface MapWrite {
  readonly lamport: number;
  readonly agent: string;
  /** LV of the writing event on this replica. */
  readonly lv: number;
  /** undefined = deleted. */
  readonly value: JsonValue | undefined;
}

/** True when write `a` beats write `b`. */
export function writeWins(a: MapWrite, b: MapWrite): boolean {
  if (a.lamport !== b.lamport) return a.lamport > b.lamport;
  return a.agent > b.agent;
}

export class SharedMap {
  /** A Map, not an object: keys such as `__proto__` are plain data here. */
  private readonly registers = new Map<string, MapWrite>();

  /** Offers a write; returns true when it changed the winner. */
  offer(key: string, write: MapWrite): boolean {
    const cur = this.registers.get(key);
    if (cur !== undefined && !writeWins(write, cur)) return false;
    this.registers.set(key, write);
    return true;
  }

  get(key: string): JsonValue | undefined {
    return this.registers.get(key)?.value;
  }

  /** The write that currently wins `key`. */
  winner(key: string): MapWrite | undefined {
    return this.registers.get(key);
  }

  /** Visible entries (deleted keys left out), sorted by key so equal maps iterate alike. */
  entries(): Map<string, JsonValue> {
    const out = new Map<string, JsonValue>();
    for (const key of [...this.registers.keys()].sort()) {
      const v = this.registers.get(key)!.value;
      if (v !== undefined) out.set(key, v);
    }
    return out;
  }
}
