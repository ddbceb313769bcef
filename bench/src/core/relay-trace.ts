/**
 * A synthetic concurrent trace of continuous concurrency, as behind a relay server: several agents
 * type at once, each edit reaching the others a fixed delay later (plus jitter), so every agent always
 * has edits of its own that the others have not seen yet, and there is almost never a version all
 * agents share. It is the load clients' situation (10 clients editing one document) in the
 * editing-traces format, generated from a seed so every run and every library gets the same trace.
 *
 * Each agent types in a region of its own, between two newlines the first txn writes and nobody
 * deletes: concurrent inserts then never meet at one position, where libraries break ties
 * differently (by agent id, by client number), so every library must reach the same final text. The
 * text each agent edits is kept by Tandem replicas while generating; the other libraries' results are
 * checked against the final text, so they cross-check Tandem's merge.
 */
import { Doc, agentId, opFromPatch, type Event } from '@tandem/core';
import { Prng } from '../load/prng.js';
import type { ConcurrentTrace, ConcurrentTxn, Patch } from './trace-format.js';

/** The `--trace` name of the synthetic relay trace. */
export const RELAY_TRACE_NAME = 'synthetic-relay-10';

export interface RelayTraceOptions {
  readonly agents: number;
  readonly txns: number;
  /** Ticks from an edit to its arrival at another agent (relay round trip), before jitter. */
  readonly delay: number;
  /** Extra random delay, 0..jitter ticks. */
  readonly jitter: number;
  readonly seed: number;
}

/** 10 agents, one edit per tick in all, each edit arriving 40–48 ticks later elsewhere. */
export const RELAY_TRACE_OPTIONS: RelayTraceOptions = { agents: 10, txns: 10_000, delay: 40, jitter: 8, seed: 8 };

/** Never a newline: newlines only mark the regions. */
const ALPHABET = 'etaoinshrdlu cmwfgypbvk.,';

interface Agent {
  readonly doc: Doc;
  caret: number;
  inbox: { at: number; event: Event }[];
}

/** Generates the relay trace described by `options`. */
export function relayTrace(options: RelayTraceOptions = RELAY_TRACE_OPTIONS): ConcurrentTrace {
  const random = new Prng(options.seed);
  const agents: Agent[] = Array.from({ length: options.agents }, (_, i) => ({ doc: new Doc({ agent: agentId(`g${i}`) }), caret: 0, inbox: [] }));
  const txns: ConcurrentTxn[] = [];
  /** Per txn: how many txns of each agent its version holds (its own included). */
  const versions: Int32Array[] = [];
  const txnOf: number[][] = agents.map(() => []);
  for (let tick = 0; txns.length < options.txns; tick++) {
    for (const agent of agents) {
      const due = agent.inbox.filter((m) => m.at <= tick);
      if (due.length === 0) continue;
      agent.inbox = agent.inbox.filter((m) => m.at > tick);
      agent.doc.receive(due.map((m) => m.event), { buffer: true });
    }
    const a = tick % options.agents;
    const agent = agents[a]!;
    if (txns.length > 0 && agent.doc.textLength('text') === 0) continue; // has not seen the regions yet
    const patch: Patch = txns.length === 0 ? [0, 0, '\n'.repeat(options.agents + 1)] : nextEdit(random, agent, a);
    const version = new Int32Array(options.agents);
    const vector = agent.doc.vector;
    for (let b = 0; b < options.agents; b++) version[b] = vector[`g${b}`] ?? 0;
    const parents = frontier(version, txnOf, versions);
    const event = agent.doc.editText('text', opFromPatch(patch[0], patch[1], patch[2]));
    if (event === undefined) throw new Error(`relay trace: edit ${patch.join(',')} changed nothing`);
    version[a] = version[a]! + 1;
    txnOf[a]!.push(txns.length);
    versions.push(version);
    txns.push({ parents, agent: a, patches: [patch] });
    for (let b = 0; b < options.agents; b++) {
      if (b !== a) agents[b]!.inbox.push({ at: tick + options.delay + random.int(options.jitter + 1), event });
    }
  }
  const reader = new Doc({ agent: agentId('relay-reader') });
  reader.receive(agents.flatMap((g) => g.doc.events().filter((e) => e.id.agent === g.doc.agent)), { buffer: true });
  if (reader.pendingCount !== 0) throw new Error(`relay trace: ${reader.pendingCount} events left pending`);
  return { kind: 'concurrent', endContent: reader.getText('text'), numAgents: options.agents, txns };
}

/**
 * Typing at a caret that mostly moves forward, inside the agent's region (after its newline, before
 * the next): short inserts, backspaces, now and then a jump.
 */
function nextEdit(random: Prng, agent: Agent, region: number): Patch {
  const text = agent.doc.getText('text');
  let start = 0;
  for (let i = 0; i <= region; i++) start = text.indexOf('\n', start) + 1;
  const end = text.indexOf('\n', start);
  if (agent.caret < start || agent.caret > end || random.next() < 0.05) agent.caret = start + random.int(end - start + 1);
  if (agent.caret > start && random.next() < 0.2) {
    agent.caret -= 1;
    return [agent.caret, 1, ''];
  }
  let ins = '';
  const n = 1 + (random.next() < 0.3 ? random.int(3) : 0);
  for (let i = 0; i < n; i++) ins += ALPHABET[random.int(ALPHABET.length)];
  const pos = agent.caret;
  agent.caret += n;
  return [pos, 0, ins];
}

/** The txns of the version `version` that no other txn of it has seen: its frontier. */
function frontier(version: Int32Array, txnOf: readonly (readonly number[])[], versions: readonly Int32Array[]): number[] {
  const heads: { txn: number; agent: number; seq: number }[] = [];
  for (let b = 0; b < version.length; b++) if (version[b]! > 0) heads.push({ txn: txnOf[b]![version[b]! - 1]!, agent: b, seq: version[b]! - 1 });
  return heads
    .filter((h) => !heads.some((o) => o !== h && versions[o.txn]![h.agent]! > h.seq))
    .map((h) => h.txn)
    .sort((x, y) => x - y);
}
