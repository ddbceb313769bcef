/**
 * The history timeline: the current version on top, then named versions and automatic
 * checkpoints, newest first, each a button (arrow keys are not needed: Tab moves through them).
 */
import type { Revision } from '../lib/api.js';
import { relativeTime } from '../components/connection-indicator.js';

export type TimelineEntry = { readonly kind: 'current'; readonly version: number } | Revision;

interface Props {
  readonly entries: readonly TimelineEntry[];
  readonly selected: number | undefined;
  readonly onSelect: (version: number) => void;
  readonly nameOf: (userId: string) => string;
}

export function entryTitle(e: TimelineEntry): string {
  if (e.kind === 'current') return 'Current version';
  if (e.kind === 'named') return e.name;
  return 'Checkpoint';
}

export function Timeline({ entries, selected, onSelect, nameOf }: Props) {
  const now = Date.now();
  return (
    <ol className="timeline" aria-label="Versions">
      {entries.map((e) => {
        const who = e.kind === 'named' ? `named by ${nameOf(e.createdBy)}` : e.kind === 'checkpoint' ? e.authors.map(nameOf).join(', ') : 'live';
        return (
          <li key={`${e.kind}-${e.version}`} className={`timeline-item timeline-${e.kind}`}>
            <button type="button" aria-pressed={selected === e.version} onClick={() => onSelect(e.version)} data-version={e.version} data-kind={e.kind}>
              <span className="timeline-title">
                {e.kind === 'named' && <span className="badge">Named</span>}
                {entryTitle(e)}
              </span>
              <span className="timeline-meta">
                v{e.version}
                {e.kind !== 'current' && ` · ${relativeTime(e.createdAt, now)}`}
                {who !== '' && ` · ${who}`}
              </span>
            </button>
          </li>
        );
      })}
    </ol>
  );
}
