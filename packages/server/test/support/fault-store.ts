/**
 * A DocStore wrapper that makes document loads fail or hang on demand, for the tests of "a failed
 * or slow storage load never serves or saves an empty document". Every other call goes straight to
 * the real store. A Proxy rather than a class, so methods added to DocStore later pass through
 * without changes here.
 */
import type { DocStore } from '../../src/storage/doc-store.js';

export type LoadMode = 'pass' | 'fail' | 'hang';

const LOAD_METHODS = new Set<PropertyKey>(['loadSnapshot', 'loadEvents']);

export class LoadFault {
  mode: LoadMode = 'pass';
  /** Limit faults to one of the load methods; both when undefined. */
  only: 'loadSnapshot' | 'loadEvents' | undefined;
  /** Load calls that failed or hung. */
  faults = 0;
  private held: (() => void)[] = [];
  private enteredWaiters: (() => void)[] = [];

  /** Resolves once a load call is hanging (at once if one already is). */
  hanging(): Promise<void> {
    if (this.held.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.enteredWaiters.push(resolve));
  }

  /** Lets every hanging load continue (against the real store) and stops hanging new ones. */
  release(): void {
    this.mode = 'pass';
    const held = this.held;
    this.held = [];
    for (const go of held) go();
  }

  /** Runs `call`, made by `method`, according to the current mode. */
  async run<T>(method: PropertyKey, call: () => Promise<T>): Promise<T> {
    if (this.only !== undefined && method !== this.only) return call();
    if (this.mode === 'fail') {
      this.faults++;
      throw new Error('injected storage failure: load refused');
    }
    if (this.mode === 'hang') {
      this.faults++;
      await new Promise<void>((resolve) => {
        this.held.push(resolve);
        const waiters = this.enteredWaiters;
        this.enteredWaiters = [];
        for (const w of waiters) w();
      });
    }
    return call();
  }
}

/** `inner` with its loads (loadSnapshot, loadEvents) governed by `fault`. */
export function faultyStore(inner: DocStore, fault: LoadFault): DocStore {
  return new Proxy(inner, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      if (LOAD_METHODS.has(prop)) return (...args: unknown[]) => fault.run(prop, () => method.apply(target, args));
      return (...args: unknown[]) => method.apply(target, args);
    },
  });
}
