/**
 * Replays a concurrent trace on one replica per trace agent of some library, to record the messages
 * (updates, changes) each txn produces. Used to build the Yjs and Automerge inputs of the merge
 * benchmark; never timed.
 *
 * Each agent's txns are totally ordered (each descends from the agent's previous one), so a version —
 * a set of txns closed under ancestry — is fully described by how many txns of each agent it holds.
 * Before a txn, its agent's replica sits at the version of the agent's previous txn, which is inside
 * the txn's parent version; it catches up by receiving the missing txns' messages in trace order (a
 * topological order), then applies the txn's patches as local edits of that agent.
 */
import type { ConcurrentTrace, Patch } from './trace-format.js';
import { patchesToUtf16 } from './utf16-positions.js';

/** What the replay needs from a library. */
export interface ReplicaKit<Replica, Message> {
  /** A replica of trace agent `agent` that has seen nothing yet. */
  createReplica(agent: number): Replica;
  /** Receives messages made by other replicas, given in a causal order. */
  applyRemote(replica: Replica, messages: readonly Message[]): Replica;
  /** Applies one txn's patches (UTF-16 units, each on the previous one's result) as one local edit. */
  applyLocalTxn(replica: Replica, patches: readonly Patch[]): { readonly replica: Replica; readonly message: Message };
  text(replica: Replica): string;
  dispose(replica: Replica): void;
}

interface AgentReplica<Replica> {
  replica: Replica;
  /** For each agent, how many of its txns the replica holds. */
  version: Int32Array;
}

function maxVersion(into: Int32Array, other: Int32Array): void {
  for (let k = 0; k < into.length; k++) into[k] = Math.max(into[k] ?? 0, other[k] ?? 0);
}

/**
 * Returns, for each txn of the trace (same index), the message its agent's replica produced for it.
 * `convertToUtf16` rewrites code-point patches against the replica's text (needed only when the trace
 * inserts characters outside the BMP).
 */
export function replayConcurrentTrace<Replica, Message>(
  trace: ConcurrentTrace,
  kit: ReplicaKit<Replica, Message>,
  convertToUtf16: boolean,
): Message[] {
  return runReplay(trace, kit, convertToUtf16, false).messages;
}

/**
 * The "live replicas" workload: the same replay (each replica merges the others' txns just before
 * its own next txn, as clients behind a relay do), then agent 0's replica receives every txn it still
 * lacks. Returns that replica's final text.
 */
export function replayConcurrentTraceLive<Replica, Message>(trace: ConcurrentTrace, kit: ReplicaKit<Replica, Message>, convertToUtf16: boolean): string {
  const text = runReplay(trace, kit, convertToUtf16, true).finalText;
  if (text === undefined) throw new Error('the trace has no txns');
  return text;
}

function runReplay<Replica, Message>(
  trace: ConcurrentTrace,
  kit: ReplicaKit<Replica, Message>,
  convertToUtf16: boolean,
  catchUpAgent0: boolean,
): { messages: Message[]; finalText: string | undefined } {
  const agents = trace.numAgents;
  const seqOfTxn: number[] = [];
  const txnsOfAgent: number[][] = Array.from({ length: agents }, () => []);
  const childrenLeft = new Int32Array(trace.txns.length);
  trace.txns.forEach((txn, i) => {
    const own = txnsOfAgent[txn.agent];
    if (own === undefined) throw new Error(`txn ${i}: agent ${txn.agent} is not below numAgents ${agents}`);
    seqOfTxn.push(own.length);
    own.push(i);
    for (const p of txn.parents) childrenLeft[p] = (childrenLeft[p] ?? 0) + 1;
  });

  /** Versions of txns that still have children to replay. */
  const versions = new Map<number, Int32Array>();
  const replicas: (AgentReplica<Replica> | undefined)[] = new Array<AgentReplica<Replica> | undefined>(agents);
  const messages: Message[] = [];

  try {
    trace.txns.forEach((txn, i) => {
      const agent = txn.agent;
      const seq = seqOfTxn[i] ?? 0;
      const target = new Int32Array(agents);
      for (const p of txn.parents) {
        const parentVersion = versions.get(p);
        if (parentVersion === undefined) throw new Error(`txn ${i}: version of parent ${p} is unknown`);
        maxVersion(target, parentVersion);
      }
      if (target[agent] !== seq) {
        throw new Error(`txn ${i}: agent ${agent}'s previous txn is not an ancestor; this replay needs each agent's txns to be totally ordered`);
      }
      const state = replicas[agent] ?? { replica: kit.createReplica(agent), version: new Int32Array(agents) };
      replicas[agent] = state;

      const missing: number[] = [];
      for (let b = 0; b < agents; b++) {
        const have = state.version[b] ?? 0;
        const want = target[b] ?? 0;
        if (have > want) throw new Error(`txn ${i}: agent ${agent}'s replica holds txns of agent ${b} that the txn did not see`);
        const ofB = txnsOfAgent[b] ?? [];
        for (let s = have; s < want; s++) missing.push(ofB[s] ?? -1);
      }
      if (missing.length > 0) {
        missing.sort((x, y) => x - y);
        state.replica = kit.applyRemote(
          state.replica,
          missing.map((j) => {
            const message = messages[j];
            if (message === undefined) throw new Error(`txn ${i}: message of txn ${j} is missing`);
            return message;
          }),
        );
      }

      const patches = convertToUtf16 ? patchesToUtf16(kit.text(state.replica), txn.patches) : txn.patches;
      const made = kit.applyLocalTxn(state.replica, patches);
      state.replica = made.replica;
      messages.push(made.message);

      const version = target;
      version[agent] = seq + 1;
      state.version = version.slice();
      if ((childrenLeft[i] ?? 0) > 0) versions.set(i, version);
      for (const p of txn.parents) {
        const left = (childrenLeft[p] ?? 0) - 1;
        childrenLeft[p] = left;
        if (left === 0) versions.delete(p);
      }
    });
    let finalText: string | undefined;
    const first = replicas[0];
    if (catchUpAgent0 && first !== undefined) {
      const lacking: Message[] = [];
      trace.txns.forEach((txn, i) => {
        if ((seqOfTxn[i] ?? 0) >= (first.version[txn.agent] ?? 0)) lacking.push(messages[i]!);
      });
      if (lacking.length > 0) first.replica = kit.applyRemote(first.replica, lacking);
      finalText = kit.text(first.replica);
    }
    return { messages, finalText };
  } finally {
    for (const state of replicas) if (state !== undefined) kit.dispose(state.replica);
  }
}
