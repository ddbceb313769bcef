/**
 * Yjs adapter of the core benchmark. One Y.Doc holds one Y.Text; Yjs's defaults are kept (garbage
 * collection of deleted content on, update format v1). A history is a list of updates, one per local
 * transaction, received by a fresh Y.Doc inside one transaction; a saved document is
 * `encodeStateAsUpdate`.
 */
import * as Y from 'yjs';
import type { BenchDocument, CoreBenchAdapter, LocallyEditedDocument, RemoteHistory } from './core-bench-adapter.js';
import { applyPatchToYText, YJS_TEXT_NAME, yjsLiveReplicas, yjsUpdatesOfConcurrentTrace } from './yjs-trace-replicas.js';
import type { Patch } from '../trace-format.js';

class YjsDocument implements BenchDocument {
  constructor(protected readonly doc: Y.Doc) {}
  text(): string {
    return this.doc.getText(YJS_TEXT_NAME).toString();
  }
  save(): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc);
  }
  release(): void {
    this.doc.destroy();
  }
}

function historyOfUpdates(updates: readonly Uint8Array[]): RemoteHistory {
  return {
    messageCount: updates.length,
    mergeIntoFreshDocument(): BenchDocument {
      const doc = new Y.Doc();
      Y.transact(doc, () => {
        for (const update of updates) Y.applyUpdate(doc, update);
      });
      return new YjsDocument(doc);
    },
  };
}

/** Applies one patch as one local edit (a replace is one transaction). */
function applyLocalPatch(doc: Y.Doc, text: Y.Text, patch: Patch): void {
  if (patch[1] > 0 && patch[2] !== '') doc.transact(() => applyPatchToYText(text, patch));
  else applyPatchToYText(text, patch);
}

class YjsLocallyEditedDocument extends YjsDocument implements LocallyEditedDocument {
  constructor(
    doc: Y.Doc,
    private readonly patches: readonly Patch[],
  ) {
    super(doc);
  }

  /**
   * Edits are not broadcast while timed (no update listener, as for a document nobody observes), so
   * the per-edit updates are recorded here by replaying the same edits on a listening document.
   */
  exportHistory(): RemoteHistory {
    const doc = new Y.Doc();
    doc.clientID = this.doc.clientID;
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    const text = doc.getText(YJS_TEXT_NAME);
    for (const patch of this.patches) applyLocalPatch(doc, text, patch);
    doc.destroy();
    return historyOfUpdates(updates);
  }
}

export const yjsAdapter: CoreBenchAdapter = {
  library: 'yjs',
  applyLocal(patches) {
    const doc = new Y.Doc();
    const text = doc.getText(YJS_TEXT_NAME);
    for (const patch of patches) applyLocalPatch(doc, text, patch);
    return new YjsLocallyEditedDocument(doc, patches);
  },
  historyOfConcurrentTrace(trace) {
    return historyOfUpdates(yjsUpdatesOfConcurrentTrace(trace.trace, trace.hasAstral));
  },
  liveReplicas(trace) {
    return yjsLiveReplicas(trace.trace, trace.hasAstral);
  },
  load(bytes) {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, bytes);
    return new YjsDocument(doc);
  },
};
