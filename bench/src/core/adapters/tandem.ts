/**
 * Tandem adapter of the core benchmark, written against the public API of `@tandem/core`: each patch
 * is one `editText`; a history is the source document's events (or a concurrent trace converted by
 * `concurrentTraceToEvents`), received by a fresh document in one `receive`; a saved document is
 * `encode` / `Doc.decode`. Live replicas are one `Doc` per trace agent, each txn one `editText` whose
 * event is the message the others `receive`.
 */
import { Doc, agentId, concurrentTraceToEvents, opFromPatch, opFromPatches, type Event } from '@tandem/core';
import { replayConcurrentTraceLive, type ReplicaKit } from '../concurrent-replay.js';
import type { BenchDocument, CoreBenchAdapter, LocallyEditedDocument, RemoteHistory } from './core-bench-adapter.js';

/** Name of the benchmark text inside every Tandem document. */
const TEXT_NAME = 'text';
/** The editing replica of the sequential benchmark, and the receiving / loading replica. */
const AUTHOR = agentId('bench-author');
const READER = agentId('bench-reader');

class TandemDocument implements BenchDocument {
  constructor(protected readonly doc: Doc) {}
  text(): string {
    return this.doc.getText(TEXT_NAME);
  }
  save(): Uint8Array {
    return this.doc.encode();
  }
  release(): void {
    // Plain JavaScript objects: the garbage collector frees them.
  }
}

function historyOfEvents(events: readonly Event[]): RemoteHistory {
  return {
    messageCount: events.length,
    mergeIntoFreshDocument(): BenchDocument {
      const doc = new Doc({ agent: READER });
      const result = doc.receive(events);
      if (result.pending !== 0) throw new Error(`Tandem left ${result.pending} of ${events.length} events pending`);
      return new TandemDocument(doc);
    },
  };
}

/** Tandem replicas of the live-replicas workload. */
const tandemReplicaKit: ReplicaKit<Doc, Event> = {
  createReplica(agent) {
    return new Doc({ agent: agentId(`agent-${agent}`) });
  },
  applyRemote(replica, events) {
    const result = replica.receive(events);
    if (result.pending !== 0) throw new Error(`Tandem left ${result.pending} of ${events.length} events pending`);
    return replica;
  },
  applyLocalTxn(replica, patches) {
    const event = replica.editText(TEXT_NAME, opFromPatches(patches));
    if (event === undefined) throw new Error('a txn with patches made no Tandem event');
    return { replica, message: event };
  },
  text(replica) {
    return replica.getText(TEXT_NAME);
  },
  dispose() {
    // Plain JavaScript objects: the garbage collector frees them.
  },
};

class TandemLocallyEditedDocument extends TandemDocument implements LocallyEditedDocument {
  exportHistory(): RemoteHistory {
    return historyOfEvents(this.doc.events());
  }
}

export const tandemAdapter: CoreBenchAdapter = {
  library: 'tandem',
  applyLocal(patches) {
    const doc = new Doc({ agent: AUTHOR });
    for (const [pos, del, ins] of patches) doc.editText(TEXT_NAME, opFromPatch(pos, del, ins));
    return new TandemLocallyEditedDocument(doc);
  },
  historyOfConcurrentTrace(trace) {
    return historyOfEvents(concurrentTraceToEvents(trace.trace));
  },
  liveReplicas(trace) {
    return replayConcurrentTraceLive(trace.trace, tandemReplicaKit, trace.hasAstral);
  },
  load(bytes) {
    return new TandemDocument(Doc.decode(bytes, { agent: READER }));
  },
};
