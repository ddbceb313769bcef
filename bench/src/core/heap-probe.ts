/**
 * Child process entry point of the heap measurement: in a fresh Node process (run with
 * `--expose-gc`), loads one saved document with one library and prints, as one JSON line, how much
 * memory the loaded document holds. A fresh process is used because WebAssembly memory (Automerge)
 * never shrinks: after earlier runs in the same process, a load would reuse grown memory and show no
 * growth at all.
 *
 * Usage: node --expose-gc heap-probe.js <library> <saved-document-file>
 */
import { readFileSync } from 'node:fs';
import { isLibraryId, loadAdapter } from './adapters/adapter-registry.js';
import type { BenchDocument } from './adapters/core-bench-adapter.js';

/** Memory held by the loaded document: differences of `process.memoryUsage()` fields, in bytes. */
export interface HeapProbeResult {
  /** V8 heap in use (JavaScript objects and strings). */
  readonly heapUsed: number;
  /** Memory outside the V8 heap tracked by V8: ArrayBuffers, and WebAssembly memory. Includes `arrayBuffers`. */
  readonly external: number;
  /** ArrayBuffer and Buffer backing stores (a part of `external`). */
  readonly arrayBuffers: number;
  /** Resident set size of the whole process (also counts heap pages that are free but kept). */
  readonly rss: number;
  /** Length of the loaded text, so the parent can check the right document was loaded. */
  readonly textLength: number;
}

function fullCollection(gc: () => void): void {
  // Twice: the first pass can leave objects that only a second pass finds unreachable.
  gc();
  gc();
}

async function main(): Promise<void> {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') throw new Error('heap probe must run with --expose-gc');
  const [library, file] = process.argv.slice(2);
  if (library === undefined || file === undefined || !isLibraryId(library)) throw new Error('usage: heap-probe.js <library> <file>');
  const adapter = await loadAdapter(library);

  fullCollection(gc);
  const before = process.memoryUsage();
  // The input bytes are read after the baseline and dropped before the measurement: they count only
  // if the loaded document keeps them.
  let bytes: Uint8Array | undefined = readFileSync(file);
  const held: BenchDocument = adapter.load(bytes);
  let textLength = held.text().length;
  bytes = undefined;
  fullCollection(gc);
  const after = process.memoryUsage();
  // Using the document after the measurement keeps it reachable until then.
  textLength = Math.min(textLength, held.text().length);

  const result: HeapProbeResult = {
    heapUsed: after.heapUsed - before.heapUsed,
    external: after.external - before.external,
    arrayBuffers: after.arrayBuffers - before.arrayBuffers,
    rss: after.rss - before.rss,
    textLength,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`heap probe failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
