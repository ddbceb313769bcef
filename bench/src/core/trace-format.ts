/**
 * The editing-traces JSON format (josephg/editing-traces; see /shared/traces/SOURCE.md): its types, and
 * the checks that turn a parsed JSON value into a typed sequential or concurrent trace with clear
 * messages when a file does not follow the format.
 */

/** `[pos, delCount, insText]`: delete then insert at `pos`, with `Array.prototype.splice` semantics. */
export type Patch = [pos: number, del: number, ins: string];

export interface SequentialTrace {
  startContent?: string;
  endContent: string;
  txns: { time?: string; patches: Patch[] }[];
}

export interface ConcurrentTxn {
  /** Indices of earlier txns: the version the patches are relative to. */
  parents: number[];
  agent: number;
  numChildren?: number;
  time?: string;
  patches: Patch[];
}

export interface ConcurrentTrace {
  kind: 'concurrent';
  endContent: string;
  numAgents: number;
  txns: ConcurrentTxn[];
}

export type ParsedTrace =
  | { readonly kind: 'sequential'; readonly trace: SequentialTrace }
  | { readonly kind: 'concurrent'; readonly trace: ConcurrentTrace };

/** Thrown when a file is not a valid editing trace. */
export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
}

type JsonObject = { readonly [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function fail(source: string, where: string, message: string): never {
  throw new TraceFormatError(`${source}: ${where}: ${message}`);
}

function parsePatch(value: unknown, source: string, where: string): Patch {
  if (!Array.isArray(value) || value.length !== 3) fail(source, where, 'a patch must be a [pos, delCount, insText] array');
  const [pos, del, ins]: unknown[] = value;
  if (!isCount(pos)) fail(source, where, 'pos must be an integer >= 0');
  if (!isCount(del)) fail(source, where, 'delCount must be an integer >= 0');
  if (typeof ins !== 'string') fail(source, where, 'insText must be a string');
  return [pos, del, ins];
}

function parsePatches(value: unknown, source: string, where: string): Patch[] {
  if (!Array.isArray(value)) fail(source, where, '"patches" must be an array');
  return value.map((p: unknown, k) => parsePatch(p, source, `${where}.patches[${k}]`));
}

function optionalTime(txn: JsonObject, source: string, where: string): { time?: string } {
  const time = txn['time'];
  if (time === undefined) return {};
  if (typeof time !== 'string') fail(source, where, '"time" must be a string');
  return { time };
}

function parseSequential(json: JsonObject, source: string, endContent: string, txns: readonly unknown[]): SequentialTrace {
  const start = json['startContent'];
  if (start !== undefined && typeof start !== 'string') fail(source, 'startContent', 'must be a string');
  const parsed = txns.map((txn, i) => {
    const where = `txns[${i}]`;
    if (!isObject(txn)) fail(source, where, 'a txn must be an object');
    return { ...optionalTime(txn, source, where), patches: parsePatches(txn['patches'], source, where) };
  });
  return start === undefined ? { endContent, txns: parsed } : { startContent: start, endContent, txns: parsed };
}

function parseParents(value: unknown, index: number, source: string, where: string): number[] {
  if (!Array.isArray(value)) fail(source, where, '"parents" must be an array');
  const parents: number[] = [];
  for (const p of value) {
    if (!isCount(p) || p >= index) fail(source, where, `parent ${JSON.stringify(p)} must be the index of an earlier txn`);
    if (parents.includes(p)) fail(source, where, `parent ${p} is listed twice`);
    parents.push(p);
  }
  if (parents.length === 0 && index !== 0) fail(source, where, 'only the first txn may have no parents');
  return parents;
}

function parseConcurrent(json: JsonObject, source: string, endContent: string, txns: readonly unknown[]): ConcurrentTrace {
  const declaredAgents = json['numAgents'];
  if (declaredAgents !== undefined && !isCount(declaredAgents)) fail(source, 'numAgents', 'must be an integer >= 0');
  let numAgents = declaredAgents ?? 0;
  const parsed = txns.map((txn, i): ConcurrentTxn => {
    const where = `txns[${i}]`;
    if (!isObject(txn)) fail(source, where, 'a txn must be an object');
    const agent = txn['agent'];
    if (!isCount(agent)) fail(source, where, '"agent" must be an integer >= 0');
    if (declaredAgents !== undefined && agent >= declaredAgents) fail(source, where, `agent ${agent} is not below numAgents ${declaredAgents}`);
    numAgents = Math.max(numAgents, agent + 1);
    const numChildren = txn['numChildren'];
    if (numChildren !== undefined && !isCount(numChildren)) fail(source, where, '"numChildren" must be an integer >= 0');
    const patches = parsePatches(txn['patches'], source, where);
    if (patches.length === 0) fail(source, where, 'a concurrent txn with no patches is not supported');
    return {
      parents: parseParents(txn['parents'], i, source, where),
      agent,
      ...(numChildren === undefined ? {} : { numChildren }),
      ...optionalTime(txn, source, where),
      patches,
    };
  });
  return { kind: 'concurrent', endContent, numAgents, txns: parsed };
}

/** Checks a parsed JSON value against the trace format. `source` names the file in error messages. */
export function parseTrace(json: unknown, source: string): ParsedTrace {
  if (!isObject(json)) fail(source, 'top level', 'a trace must be a JSON object');
  const endContent = json['endContent'];
  if (typeof endContent !== 'string') fail(source, 'endContent', 'must be a string');
  const txns = json['txns'];
  if (!Array.isArray(txns)) fail(source, 'txns', 'must be an array');
  const kind = json['kind'];
  if (kind === 'concurrent') return { kind: 'concurrent', trace: parseConcurrent(json, source, endContent, txns) };
  if (kind !== undefined && kind !== 'sequential') fail(source, 'kind', `unknown kind ${JSON.stringify(kind)}`);
  return { kind: 'sequential', trace: parseSequential(json, source, endContent, txns) };
}

/** True when some inserted text holds a character outside the BMP (a UTF-16 surrogate pair). */
export function insertsAstralText(txns: readonly { readonly patches: readonly Patch[] }[]): boolean {
  const surrogate = /[\uD800-\uDFFF]/;
  return txns.some((txn) => txn.patches.some(([, , ins]) => surrogate.test(ins)));
}
