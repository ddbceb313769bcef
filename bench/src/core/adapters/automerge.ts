/**
 * Automerge adapter of the core benchmark (the WebAssembly-backed `@automerge/automerge`, default
 * options). A document is `{ text: string }` (a collaborative string); each local edit is one
 * `change`; a history is the list of changes, received by a fresh document with one `applyChanges`;
 * a saved document is `save` / `load`.
 */
import * as A from '@automerge/automerge';
import type { BenchDocument, CoreBenchAdapter, LocallyEditedDocument, RemoteHistory } from './core-bench-adapter.js';
import {
  actorId,
  automergeChangesOfConcurrentTrace,
  automergeLiveReplicas,
  changeByPatches,
  type AutomergeTextDoc,
  type TextDocShape,
} from './automerge-trace-replicas.js';

/** The editing replica of the sequential benchmark, and the receiving / loading replica. */
const AUTHOR_ACTOR = actorId(0xa0);
const READER_ACTOR = actorId(0xb0);

class AutomergeDocument implements BenchDocument {
  constructor(protected readonly doc: AutomergeTextDoc) {}
  text(): string {
    return this.doc.text;
  }
  save(): Uint8Array {
    return A.save(this.doc);
  }
  release(): void {
    A.free(this.doc);
  }
}

function historyOfChanges(changes: A.Change[]): RemoteHistory {
  return {
    messageCount: changes.length,
    mergeIntoFreshDocument(): BenchDocument {
      const [doc] = A.applyChanges(A.init<TextDocShape>({ actor: READER_ACTOR }), changes);
      return new AutomergeDocument(doc);
    },
  };
}

class AutomergeLocallyEditedDocument extends AutomergeDocument implements LocallyEditedDocument {
  exportHistory(): RemoteHistory {
    return historyOfChanges(A.getAllChanges(this.doc));
  }
}

export const automergeAdapter: CoreBenchAdapter = {
  library: 'automerge',
  applyLocal(patches) {
    let doc = A.change(A.init<TextDocShape>({ actor: AUTHOR_ACTOR }), (d) => {
      d.text = '';
    });
    for (const patch of patches) doc = changeByPatches(doc, [patch]);
    return new AutomergeLocallyEditedDocument(doc);
  },
  historyOfConcurrentTrace(trace) {
    return historyOfChanges(automergeChangesOfConcurrentTrace(trace.trace, trace.hasAstral));
  },
  liveReplicas(trace) {
    return automergeLiveReplicas(trace.trace, trace.hasAstral);
  },
  load(bytes) {
    return new AutomergeDocument(A.load<TextDocShape>(bytes, { actor: READER_ACTOR }));
  },
};
