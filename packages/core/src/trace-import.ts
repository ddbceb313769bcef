/**
 * Converters from editing-trace transactions (josephg/editing-traces format: `[pos, del, ins]` patches)
 * to Tandem events. Pure: callers load and parse the trace files themselves.
 *
 * Positions are used as UTF-16 code units. The traces count Unicode code points; the two agree for
 * text without characters outside the Basic Multilingual Plane, which holds for every trace shipped in
 * ../shared/traces. Traces with such characters need their positions converted first (the benchmark
 * does this for sequential and concurrent traces in bench/src/core/utf16-positions.ts).
 */
import type { Event } from './event.js';
import { agentId, compareEventIds, type AgentId, type EventId } from './ids.js';
import { opFromPatches } from './text-op.js';

/** A trace patch: at `pos`, delete `del` chars, then insert `ins` (splice semantics). */
export type TracePatch = readonly [pos: number, del: number, ins: string];

export interface TraceImportOptions {
  /** Name of the text the events edit. Default `'text'`. */
  textName?: string;
  /** Maps a trace agent number to an agent id. Default `n => 'agent-' + n`. */
  agentName?: (n: number) => string;
}

export interface ConcurrentTraceInput {
  readonly txns: readonly {
    readonly parents: readonly number[];
    readonly agent: number;
    readonly patches: readonly TracePatch[];
  }[];
}

export interface SequentialTraceInput {
  readonly txns: readonly { readonly patches: readonly TracePatch[] }[];
}

const defaultAgentName = (n: number): string => `agent-${n}`;

/**
 * Converts a concurrent trace: txn i becomes an event by `agentName(agent)` whose seq counts that agent's
 * earlier txns, with the ids of its parent txns (sorted) as parents. Parents must precede their children.
 */
export function concurrentTraceToEvents(trace: ConcurrentTraceInput, opts: TraceImportOptions = {}): Event[] {
  const name = opts.textName ?? 'text';
  const agentName = opts.agentName ?? defaultAgentName;
  const agentIds = new Map<number, AgentId>();
  const nextSeq = new Map<number, number>();
  const ids: EventId[] = [];
  const events: Event[] = [];
  trace.txns.forEach((txn, i) => {
    let agent = agentIds.get(txn.agent);
    if (agent === undefined) {
      agent = agentId(agentName(txn.agent));
      agentIds.set(txn.agent, agent);
    }
    const seq = nextSeq.get(txn.agent) ?? 0;
    nextSeq.set(txn.agent, seq + 1);
    const parents = txn.parents.map((p) => {
      const parent = p < i ? ids[p] : undefined;
      if (parent === undefined) throw new RangeError(`trace txn ${i} names parent ${p}, which does not precede it`);
      return parent;
    });
    parents.sort(compareEventIds);
    const id: EventId = { agent, seq };
    ids.push(id);
    events.push({ id, parents, change: { type: 'text', name, op: opFromPatches(txn.patches) } });
  });
  return events;
}

/** Converts a sequential trace: one agent (`agentName(0)`), each event the child of the previous. */
export function sequentialTraceToEvents(trace: SequentialTraceInput, opts: TraceImportOptions = {}): Event[] {
  const name = opts.textName ?? 'text';
  const agent = agentId((opts.agentName ?? defaultAgentName)(0));
  return trace.txns.map((txn, seq) => ({
    id: { agent, seq },
    parents: seq === 0 ? [] : [{ agent, seq: seq - 1 }],
    change: { type: 'text', name, op: opFromPatches(txn.patches) },
  }));
}
