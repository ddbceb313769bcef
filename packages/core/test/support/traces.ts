/**
 * Loads the editing traces of ../shared/traces (josephg/editing-traces, CC BY 4.0; see README credits).
 * Tests find them beside the project; `TANDEM_TRACES` overrides the folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export type Patch = [pos: number, del: number, ins: string];
export interface SequentialTrace {
  startContent?: string;
  endContent: string;
  txns: { time?: string; patches: Patch[] }[];
}
export interface ConcurrentTrace {
  kind: 'concurrent';
  endContent: string;
  numAgents: number;
  txns: { parents: number[]; agent: number; numChildren?: number; time?: string; patches: Patch[] }[];
}

/** The traces folder, or undefined when it cannot be found. */
export function tracesDir(): string | undefined {
  const env = process.env['TANDEM_TRACES'];
  if (env !== undefined && env !== '') return env;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'shared', 'traces');
    if (existsSync(candidate)) return candidate;
    const parent = resolve(dir, '..');
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

export function loadTrace<T extends SequentialTrace | ConcurrentTrace>(relPath: string): T {
  const dir = tracesDir();
  if (dir === undefined) throw new Error('editing traces not found: set TANDEM_TRACES or keep ../shared/traces beside the project');
  const raw = readFileSync(join(dir, relPath));
  const json = relPath.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  return JSON.parse(json) as T;
}
