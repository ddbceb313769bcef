/**
 * MapHandle is an app's view of one named shared map of a document: JSON values under string keys,
 * last writer wins in causal order. Writes apply locally at once and sync in the background.
 */
import type { ChangeOrigin, Doc, JsonValue } from '@tandem/core';
import { Emitter } from '../util/emitter.js';

export type MapEvents = {
  /** `value` undefined: the key was deleted. */
  change: [key: string, value: JsonValue | undefined, origin: ChangeOrigin];
};

export class MapHandle {
  /** @internal Listeners, fed by TandemDocument. */
  readonly events = new Emitter<MapEvents>();

  /** @internal Created by `TandemDocument.map`. */
  constructor(
    private readonly doc: Doc,
    readonly name: string,
  ) {}

  /** The value under `key`, or undefined when it is not set. */
  get(key: string): JsonValue | undefined {
    return this.doc.getMap(this.name).get(key);
  }

  /** True when `key` is set. */
  has(key: string): boolean {
    return this.doc.getMap(this.name).has(key);
  }

  /** Sets `key` to a JSON value (copied: later changes to the object do not affect the map). */
  set(key: string, value: JsonValue): void {
    this.doc.setKey(this.name, key, value);
  }

  /** Removes `key` (nothing happens when it is not set). */
  delete(key: string): void {
    if (this.has(key)) this.doc.deleteKey(this.name, key);
  }

  /** The entries, sorted by key. */
  entries(): ReadonlyMap<string, JsonValue> {
    return this.doc.getMap(this.name);
  }

  /** The number of keys set. */
  get size(): number {
    return this.doc.getMap(this.name).size;
  }

  /** Subscribes to changes of this map; returns the function that unsubscribes. */
  on<K extends keyof MapEvents>(event: K, listener: (...args: MapEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }
}
