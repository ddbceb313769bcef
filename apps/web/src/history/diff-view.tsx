/**
 * A diff between two versions rendered as tracked changes: text written since the older version
 * underlined in green, text deleted since struck through in red, each with who did it (shown on
 * hover and focus, and listed under the diff). The server cuts the text into these segments.
 */
import type { DiffSegment } from '../lib/api.js';

interface Props {
  readonly segments: readonly DiffSegment[];
  readonly nameOf: (userId: string) => string;
}

export function DiffView({ segments, nameOf }: Props) {
  const authors = new Set<string>();
  for (const s of segments) if (s.kind !== 'equal') for (const a of s.authors) authors.add(a);
  const changed = segments.some((s) => s.kind !== 'equal');
  return (
    <div className="diff" data-testid="diff">
      <div className="diff-text">
        {segments.map((s, i) => {
          if (s.kind === 'equal') return <span key={i}>{s.text}</span>;
          const who = s.authors.map(nameOf).join(', ');
          const title = `${s.kind === 'insert' ? 'Added' : 'Deleted'} by ${who || 'unknown'}`;
          return s.kind === 'insert' ? (
            <ins key={i} title={title} tabIndex={0}>
              {s.text}
            </ins>
          ) : (
            <del key={i} title={title} tabIndex={0}>
              {s.text}
            </del>
          );
        })}
      </div>
      <p className="diff-legend">
        {changed ? (
          <>
            <ins>added</ins> <del>deleted</del> · by {[...authors].map(nameOf).join(', ') || 'unknown'}
          </>
        ) : (
          'No changes between these versions.'
        )}
      </p>
    </div>
  );
}
