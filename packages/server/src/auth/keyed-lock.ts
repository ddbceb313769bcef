/**
 * Serializes async critical sections per key (here: per document) within one process. Changing
 * a document's grants is read-check-write ("is this the last owner?"); two such changes running
 * interleaved could both pass the check and leave no owner. Other keys are not held up.
 */
export class KeyedLock {
  /** The tail of each key's queue; removed when the queue drains so the map does not grow. */
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
