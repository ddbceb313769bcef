/**
 * Trace files on disk: where the editing traces live (`TANDEM_TRACES`, else the nearest `shared/traces`
 * folder above this module, as the core tests find them), reading a file (gzip or plain JSON), and
 * preparing it for the benchmark: patches flattened and in UTF-16 units, plus the flat (sequential)
 * equivalent of a concurrent trace when one sits beside it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { insertsAstralText, parseTrace, type ConcurrentTrace, type Patch } from './trace-format.js';
import { patchesToUtf16 } from './utf16-positions.js';
import { RELAY_TRACE_NAME, relayTrace } from './relay-trace.js';

/** The traces run when no `--trace` is given, relative to the traces folder. */
export const DEFAULT_TRACE_FILES: readonly string[] = [
  'sequential_traces/automerge-paper.json.gz',
  'sequential_traces/seph-blog1.json.gz',
  'sequential_traces/friendsforever_flat.json.gz',
  'concurrent_traces/friendsforever.json.gz',
];

interface TraceFileFacts {
  /** File name without `.json` / `.json.gz`. */
  readonly name: string;
  readonly path: string;
  readonly fileBytes: number;
  readonly endContent: string;
  readonly txnCount: number;
  readonly patchCount: number;
  /** Some inserted text lies outside the BMP, so code points and UTF-16 units differ. */
  readonly hasAstral: boolean;
}

export interface SequentialBenchTrace extends TraceFileFacts {
  readonly kind: 'sequential';
  /** Every patch of every txn in file order, in UTF-16 units, starting from the empty text. */
  readonly patches: readonly Patch[];
}

export interface ConcurrentBenchTrace extends TraceFileFacts {
  readonly kind: 'concurrent';
  /** The trace as in the file (code-point positions). */
  readonly trace: ConcurrentTrace;
  readonly agentCount: number;
  /** The linearised equivalent (`<name>_flat`), when found with the same endContent. */
  readonly flat: SequentialBenchTrace | undefined;
  /** Why `flat` is missing, or which file it came from. */
  readonly flatNote: string;
}

export type BenchTrace = SequentialBenchTrace | ConcurrentBenchTrace;

/** The traces folder, or undefined when it cannot be found. */
export function tracesDir(): string | undefined {
  const fromEnv = process.env['TANDEM_TRACES'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    const candidate = join(dir, 'shared', 'traces');
    if (existsSync(candidate)) return candidate;
    const parent = resolve(dir, '..');
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

function requireTracesDir(): string {
  const dir = tracesDir();
  if (dir === undefined) throw new Error('editing traces not found: set TANDEM_TRACES or keep a shared/traces folder above the project');
  return dir;
}

/** Absolute paths of the default traces. */
export function defaultTracePaths(): string[] {
  const dir = requireTracesDir();
  return [...DEFAULT_TRACE_FILES.map((file) => join(dir, file)), RELAY_TRACE_NAME];
}

/**
 * Resolves a `--trace` argument: as given (relative to the directory `npm run` was started from),
 * else relative to the traces folder.
 */
export function resolveTracePath(arg: string): string {
  if (arg === RELAY_TRACE_NAME) return arg;
  const startDir = process.env['INIT_CWD'] ?? process.cwd();
  const direct = isAbsolute(arg) ? arg : resolve(startDir, arg);
  if (existsSync(direct)) return direct;
  const dir = tracesDir();
  if (dir !== undefined && existsSync(join(dir, arg))) return join(dir, arg);
  throw new Error(`trace file not found: ${arg}`);
}

function traceName(path: string): string {
  return basename(path).replace(/\.gz$/, '').replace(/\.json$/, '');
}

/** Reads and parses a JSON file, gunzipping it when it starts with the gzip magic bytes. */
function readJsonFile(path: string): unknown {
  const raw = readFileSync(path);
  const gzipped = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  return JSON.parse((gzipped ? gunzipSync(raw) : raw).toString('utf8'));
}

function findFlatFile(path: string): string | undefined {
  const dir = dirname(path);
  const name = traceName(path);
  const folders = [dir, join(dir, '..', 'sequential_traces')];
  for (const folder of folders) {
    for (const ext of ['.json.gz', '.json']) {
      const candidate = join(folder, `${name}_flat${ext}`);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

function facts(path: string, endContent: string, txns: readonly { readonly patches: readonly Patch[] }[]): TraceFileFacts {
  return {
    name: traceName(path),
    path,
    fileBytes: statSync(path).size,
    endContent,
    txnCount: txns.length,
    patchCount: txns.reduce((sum, txn) => sum + txn.patches.length, 0),
    hasAstral: insertsAstralText(txns),
  };
}

/** Loads a trace file of either kind and prepares it for the benchmark. */
export function loadBenchTrace(path: string): BenchTrace {
  if (path === RELAY_TRACE_NAME) {
    const trace = relayTrace();
    return {
      name: RELAY_TRACE_NAME,
      path: '(generated: see bench/src/core/relay-trace.ts)',
      fileBytes: 0,
      endContent: trace.endContent,
      txnCount: trace.txns.length,
      patchCount: trace.txns.reduce((sum, txn) => sum + txn.patches.length, 0),
      hasAstral: false,
      kind: 'concurrent',
      trace,
      agentCount: trace.numAgents,
      flat: undefined,
      flatNote: 'generated trace without a linearised version: apply local is n/a',
    };
  }
  const parsed = parseTrace(readJsonFile(path), path);
  if (parsed.kind === 'sequential') {
    const { trace } = parsed;
    const base = facts(path, trace.endContent, trace.txns);
    const start = trace.startContent ?? '';
    const filePatches: Patch[] = trace.txns.flatMap((txn) => txn.patches);
    // A non-empty start text becomes a first insert, so every library starts from the empty document.
    const patches = start === '' ? filePatches : [[0, 0, start] as Patch, ...filePatches];
    const hasAstral = base.hasAstral || insertsAstralText([{ patches: [[0, 0, start]] }]);
    return { ...base, kind: 'sequential', hasAstral, patches: hasAstral ? patchesToUtf16('', patches) : patches };
  }
  const { trace } = parsed;
  const base = facts(path, trace.endContent, trace.txns);
  const flatPath = findFlatFile(path);
  let flat: SequentialBenchTrace | undefined;
  let flatNote = `no ${base.name}_flat file beside the trace: apply local is n/a`;
  if (flatPath !== undefined) {
    const candidate = loadBenchTrace(flatPath);
    if (candidate.kind !== 'sequential') flatNote = `${flatPath} is not a sequential trace: apply local is n/a`;
    else if (candidate.endContent !== trace.endContent) flatNote = `${flatPath} has a different endContent: apply local is n/a`;
    else {
      flat = candidate;
      flatNote = `apply local replays the linearised ${candidate.name}`;
    }
  }
  return { ...base, kind: 'concurrent', trace, agentCount: trace.numAgents, flat, flatNote };
}
