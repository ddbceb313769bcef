/**
 * Parent side of the heap measurement: hands a saved document to a fresh `heap-probe` child process
 * and reads back the memory the loaded document holds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LibraryId } from './adapters/core-bench-adapter.js';
import type { HeapProbeResult } from './heap-probe.js';

const PROBE_SCRIPT = fileURLToPath(new URL('./heap-probe.js', import.meta.url));

function isProbeResult(value: unknown): value is HeapProbeResult {
  if (typeof value !== 'object' || value === null) return false;
  const fields: readonly (keyof HeapProbeResult)[] = ['heapUsed', 'external', 'arrayBuffers', 'rss', 'textLength'];
  return fields.every((field) => typeof (value as Record<string, unknown>)[field] === 'number');
}

/** Loads `saved` with `library` in a fresh process and returns the memory deltas it reports. */
export function measureLoadedHeap(library: LibraryId, saved: Uint8Array, expectedTextLength: number): HeapProbeResult {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
  try {
    const file = join(dir, 'document.bin');
    writeFileSync(file, saved);
    const child = spawnSync(process.execPath, ['--expose-gc', PROBE_SCRIPT, library, file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 20,
    });
    if (child.error !== undefined) throw child.error;
    if (child.status !== 0) throw new Error(`heap probe exited with ${child.status ?? child.signal}: ${child.stderr.trim()}`);
    const lastLine = child.stdout.trim().split('\n').pop() ?? '';
    const parsed: unknown = JSON.parse(lastLine);
    if (!isProbeResult(parsed)) throw new Error(`heap probe printed an unexpected result: ${lastLine}`);
    if (parsed.textLength !== expectedTextLength) {
      throw new Error(`heap probe loaded a text of length ${parsed.textLength}, expected ${expectedTextLength}`);
    }
    return parsed;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
