/**
 * AttributionTracker follows one text from an old version to a newer one, character by character,
 * remembering who inserted each character and who deleted each character of the old text. Fed the
 * text operations of the events in between (as the replica applied them, each against the text just
 * before it), it yields the attributed diff: text kept from the old version, text inserted (by
 * whom) and old text deleted (by whom). Text both inserted and deleted in between never existed in
 * either version, so it is left out.
 */
import type { TextOp } from '@tandem/core';

export type SegmentKind = 'equal' | 'insert' | 'delete';

export interface DiffSegment {
  readonly kind: SegmentKind;
  readonly text: string;
  /** Who inserted (insert) or deleted (delete) this text; absent for equal text. */
  readonly authors?: readonly string[];
}

/** A run of characters with one history. 'delete' runs are tombstones: not in the current text. */
interface Run {
  readonly kind: SegmentKind;
  readonly text: string;
  readonly author?: string;
}

/** Walks the runs of the text before an op, emitting the runs of the text after it. */
class RunCursor {
  private index = 0;
  private rest: Run | undefined;
  readonly out: Run[] = [];

  constructor(private readonly runs: readonly Run[]) {
    this.rest = runs[0];
  }

  private advance(): void {
    this.index++;
    this.rest = this.runs[this.index];
  }

  /** Copies tombstones at the cursor, so what follows is placed after them (delete, then insert). */
  skipTombstones(): void {
    while (this.rest !== undefined && this.rest.kind === 'delete') {
      this.emit(this.rest);
      this.advance();
    }
  }

  /** Takes `n` characters of the current text, passing tombstones through; `map` rewrites each piece. */
  take(n: number, what: string, map: (piece: Run) => Run | undefined): void {
    let left = n;
    while (left > 0) {
      this.skipTombstones();
      const run = this.rest;
      if (run === undefined) throw new RangeError(`${what} of ${n} runs past the end of the text (${left} characters short)`);
      const k = Math.min(left, run.text.length);
      const mapped = map({ ...run, text: run.text.slice(0, k) });
      if (mapped !== undefined) this.emit(mapped);
      if (k === run.text.length) this.advance();
      else this.rest = { ...run, text: run.text.slice(k) };
      left -= k;
    }
  }

  /** Appends a run, merging it into the previous one when both have the same history. */
  emit(run: Run): void {
    const last = this.out[this.out.length - 1];
    if (last !== undefined && last.kind === run.kind && last.author === run.author) {
      this.out[this.out.length - 1] = { ...last, text: last.text + run.text };
    } else if (run.text.length > 0) {
      this.out.push(run);
    }
  }

  /** Copies everything after the cursor (the implicit trailing retain). */
  finish(): Run[] {
    while (this.rest !== undefined) {
      this.emit(this.rest);
      this.advance();
    }
    return this.out;
  }
}

export class AttributionTracker {
  private runs: Run[];

  /** Starts from the old version's text, all of it 'equal'. */
  constructor(base: string) {
    this.runs = base.length > 0 ? [{ kind: 'equal', text: base }] : [];
  }

  /** Applies one text op made by `author`. */
  apply(op: TextOp, author: string): void {
    const cursor = new RunCursor(this.runs);
    for (const c of op) {
      if (c.type === 'retain') {
        cursor.take(c.length, 'retain', (piece) => piece);
      } else if (c.type === 'insert') {
        cursor.skipTombstones();
        cursor.emit({ kind: 'insert', text: c.content, author });
      } else {
        // Old text becomes a tombstone naming who deleted it; text inserted since just goes.
        cursor.take(c.length, 'delete', (piece) => (piece.kind === 'equal' ? { kind: 'delete', text: piece.text, author } : undefined));
      }
    }
    this.runs = cursor.finish();
  }

  /** The current text (what the newer version reads). */
  text(): string {
    return this.runs
      .filter((r) => r.kind !== 'delete')
      .map((r) => r.text)
      .join('');
  }

  segments(): DiffSegment[] {
    return this.runs.map((r) => (r.author === undefined ? { kind: r.kind, text: r.text } : { kind: r.kind, text: r.text, authors: [r.author] }));
  }
}
