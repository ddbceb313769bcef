/**
 * Yjs replicas for replaying a concurrent trace (untimed input building): one Y.Doc per trace agent,
 * each writing with its own clientID, each txn applied as one transaction whose update is recorded.
 */
import * as Y from 'yjs';
import { replayConcurrentTrace, replayConcurrentTraceLive, type ReplicaKit } from '../concurrent-replay.js';
import type { ConcurrentTrace, Patch } from '../trace-format.js';

/** Name of the shared text in every benchmark Y.Doc. */
export const YJS_TEXT_NAME = 'text';

/** Applies one UTF-16 patch to a Y.Text (delete, then insert). */
export function applyPatchToYText(text: Y.Text, [pos, del, ins]: Patch): void {
  if (del > 0) text.delete(pos, del);
  if (ins !== '') text.insert(pos, ins);
}

/** clientID of trace agent `agent`: distinct per agent, and never the benchmark reader's. */
function clientIdOfAgent(agent: number): number {
  return agent + 1;
}

/** Origin tag of updates received from other replicas (not recorded as local output). */
const REMOTE = Symbol('remote');

interface YjsReplica {
  readonly doc: Y.Doc;
  /** The update produced by the latest local transaction. */
  lastUpdate: Uint8Array | undefined;
}

const yjsReplicaKit: ReplicaKit<YjsReplica, Uint8Array> = {
  createReplica(agent) {
    const doc = new Y.Doc();
    doc.clientID = clientIdOfAgent(agent);
    const replica: YjsReplica = { doc, lastUpdate: undefined };
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE) replica.lastUpdate = update;
    });
    return replica;
  },
  applyRemote(replica, updates) {
    Y.transact(replica.doc, () => {
      for (const update of updates) Y.applyUpdate(replica.doc, update, REMOTE);
    }, REMOTE);
    return replica;
  },
  applyLocalTxn(replica, patches) {
    replica.lastUpdate = undefined;
    const text = replica.doc.getText(YJS_TEXT_NAME);
    replica.doc.transact(() => {
      for (const patch of patches) applyPatchToYText(text, patch);
    });
    const update = replica.lastUpdate;
    if (update === undefined) throw new Error('a Yjs transaction with patches produced no update');
    return { replica, message: update };
  },
  text(replica) {
    return replica.doc.getText(YJS_TEXT_NAME).toString();
  },
  dispose(replica) {
    replica.doc.destroy();
  },
};

/** The update each txn of the trace produces, in trace order. */
export function yjsUpdatesOfConcurrentTrace(trace: ConcurrentTrace, convertToUtf16: boolean): Uint8Array[] {
  return replayConcurrentTrace(trace, yjsReplicaKit, convertToUtf16);
}

/** The live-replicas workload on Yjs replicas (timed); returns agent 0's final text. */
export function yjsLiveReplicas(trace: ConcurrentTrace, convertToUtf16: boolean): string {
  return replayConcurrentTraceLive(trace, yjsReplicaKit, convertToUtf16);
}
