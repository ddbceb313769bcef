/**
 * Automerge documents of the benchmark, and replicas for replaying a concurrent trace (untimed input
 * building): one document per trace agent with its own actor id, each txn applied as one change whose
 * bytes are recorded. All replicas share one genesis change that creates the text field, so they edit
 * the same text object.
 */
import * as A from '@automerge/automerge';
import { replayConcurrentTrace, replayConcurrentTraceLive, type ReplicaKit } from '../concurrent-replay.js';
import type { ConcurrentTrace, Patch } from '../trace-format.js';

/** The document shape: one collaborative string. */
export interface TextDocShape {
  text: string;
}
export type AutomergeTextDoc = A.Doc<TextDocShape>;

/** A hex actor id built from a small number (Automerge actor ids are hex strings). */
export function actorId(n: number): string {
  return n.toString(16).padStart(32, '0');
}

const GENESIS_ACTOR = actorId(0xffff);

/** Agent k of a trace writes as actor k + 1 (0 is left unused). */
function actorOfAgent(agent: number): string {
  return actorId(agent + 1);
}

/** Applies patches (UTF-16 units, in order) as one change. */
export function changeByPatches(doc: AutomergeTextDoc, patches: readonly Patch[]): AutomergeTextDoc {
  return A.change(doc, (d) => {
    for (const [pos, del, ins] of patches) A.splice(d, ['text'], pos, del, ins);
  });
}

/** The change that creates the empty text, and the document it makes. */
function genesisChange(): A.Change {
  const doc = A.change(A.init<TextDocShape>({ actor: GENESIS_ACTOR }), (d) => {
    d.text = '';
  });
  const change = A.getLastLocalChange(doc);
  A.free(doc);
  if (change === undefined) throw new Error('Automerge produced no genesis change');
  return change;
}

function replicaKit(genesis: A.Change): ReplicaKit<AutomergeTextDoc, A.Change> {
  return {
    createReplica(agent) {
      const [doc] = A.applyChanges(A.init<TextDocShape>({ actor: actorOfAgent(agent) }), [genesis]);
      return doc;
    },
    applyRemote(replica, changes) {
      const [doc] = A.applyChanges(replica, [...changes]);
      return doc;
    },
    applyLocalTxn(replica, patches) {
      const doc = changeByPatches(replica, patches);
      const change = A.getLastLocalChange(doc);
      if (change === undefined || doc === replica) throw new Error('an Automerge change with patches produced no change');
      return { replica: doc, message: change };
    },
    text(replica) {
      return replica.text;
    },
    dispose(replica) {
      A.free(replica);
    },
  };
}

/** The genesis change followed by the change each txn of the trace produces, in trace order. */
export function automergeChangesOfConcurrentTrace(trace: ConcurrentTrace, convertToUtf16: boolean): A.Change[] {
  const genesis = genesisChange();
  return [genesis, ...replayConcurrentTrace(trace, replicaKit(genesis), convertToUtf16)];
}

/** The live-replicas workload on Automerge replicas (timed); returns agent 0's final text. */
export function automergeLiveReplicas(trace: ConcurrentTrace, convertToUtf16: boolean): string {
  return replayConcurrentTraceLive(trace, replicaKit(genesisChange()), convertToUtf16);
}
