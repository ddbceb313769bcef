/**
 * Which adapter implements which library. Adapters are imported on demand, so a run restricted with
 * `--libs` does not load (or need a build of) the libraries it leaves out.
 */
import { LIBRARY_IDS, type CoreBenchAdapter, type LibraryId } from './core-bench-adapter.js';

export function isLibraryId(value: string): value is LibraryId {
  return (LIBRARY_IDS as readonly string[]).includes(value);
}

/** Parses a comma-separated library list such as "yjs,automerge", keeping the canonical order. */
export function parseLibraryList(list: string): LibraryId[] {
  const names = list.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  for (const name of names) {
    if (!isLibraryId(name)) throw new Error(`unknown library "${name}" (expected some of ${LIBRARY_IDS.join(', ')})`);
  }
  if (names.length === 0) throw new Error('--libs needs at least one library');
  return LIBRARY_IDS.filter((id) => names.includes(id));
}

export async function loadAdapter(library: LibraryId): Promise<CoreBenchAdapter> {
  switch (library) {
    case 'tandem':
      return (await import('./tandem.js')).tandemAdapter;
    case 'yjs':
      return (await import('./yjs.js')).yjsAdapter;
    case 'automerge':
      return (await import('./automerge.js')).automergeAdapter;
  }
}
