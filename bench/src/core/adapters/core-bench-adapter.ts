/**
 * The contract between the core benchmark and one collaboration library (Tandem, Yjs, Automerge): the
 * few operations the benchmark times, and the untimed exports it needs to build their inputs.
 */
import type { Patch } from '../trace-format.js';
import type { ConcurrentBenchTrace } from '../trace-file.js';

export const LIBRARY_IDS = ['tandem', 'yjs', 'automerge'] as const;
export type LibraryId = (typeof LIBRARY_IDS)[number];

export const LIBRARY_LABELS: Readonly<Record<LibraryId, string>> = { tandem: 'Tandem', yjs: 'Yjs', automerge: 'Automerge' };

/** The npm package whose version is reported for each library. */
export const LIBRARY_PACKAGES: Readonly<Record<LibraryId, string>> = {
  tandem: '@tandem/core',
  yjs: 'yjs',
  automerge: '@automerge/automerge',
};

/** A document of one library holding one text. */
export interface BenchDocument {
  /** The current text (timed where the benchmark says the text is read). */
  text(): string;
  /** The document's saved form, as the library persists it (untimed). */
  save(): Uint8Array;
  /** Frees what the library does not free by itself (Automerge's WebAssembly memory). */
  release(): void;
}

/** The history one replica made, as another replica would receive it. */
export interface RemoteHistory {
  /** How many events / updates / changes the history is made of. */
  readonly messageCount: number;
  /** Timed: a fresh document receives the whole history. */
  mergeIntoFreshDocument(): BenchDocument;
}

/** A document built by local edits, which can export what it made for remote replicas. */
export interface LocallyEditedDocument extends BenchDocument {
  /** Untimed: the edits as a remote replica would receive them. */
  exportHistory(): RemoteHistory;
}

export interface CoreBenchAdapter {
  readonly library: LibraryId;
  /** Timed: a fresh document applies each patch (UTF-16 units) as its own local edit, in order. */
  applyLocal(patches: readonly Patch[]): LocallyEditedDocument;
  /** Untimed: the full concurrent history of every agent of the trace, in the library's form. */
  historyOfConcurrentTrace(trace: ConcurrentBenchTrace): RemoteHistory;
  /**
   * Timed: one replica per agent of the concurrent trace makes the agent's txns as local edits and
   * merges the others' txns just before its next one (as clients behind a relay do); then agent 0's
   * replica receives what it still lacks. Returns that replica's text.
   */
  liveReplicas(trace: ConcurrentBenchTrace): string;
  /** Timed: loads a saved document. */
  load(bytes: Uint8Array): BenchDocument;
}
