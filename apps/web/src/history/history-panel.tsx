/**
 * The version-history panel: the timeline of checkpoints and named versions from the server, a
 * read-only preview of the version picked, its differences with another version as tracked
 * changes, naming the current version, and restoring an old one (after a confirmation — restoring
 * is itself a new version, so nothing is lost, but it changes the text for everyone).
 *
 * History lives on the server: offline the panel says so instead of showing stale data.
 */
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { ApiError, errorMessage, type Api, type Diff, type Revisions } from '../lib/api.js';
import { ConfirmDialog } from '../components/dialog.js';
import { DiffView } from './diff-view.js';
import { entryTitle, Timeline, type TimelineEntry } from './timeline.js';

interface Props {
  readonly api: Api;
  readonly docId: string;
  readonly link: string | undefined;
  readonly canEdit: boolean;
  readonly nameOf: (userId: string) => string;
  /** Bumped by the page when the document changed, so "current" stays current. */
  readonly serverVersion: number;
  readonly onClose: () => void;
}

type Loaded<T> = { readonly state: 'loading' } | { readonly state: 'error'; readonly message: string } | { readonly state: 'ready'; readonly value: T };
type View = { readonly mode: 'preview' } | { readonly mode: 'diff'; readonly against: number };

function failure(err: unknown): string {
  if (err instanceof ApiError && err.unreachable) return 'History needs the server, which cannot be reached right now. Your edits are safe and will sync.';
  return errorMessage(err);
}

export function HistoryPanel({ api, docId, link, canEdit, nameOf, serverVersion, onClose }: Props) {
  const [revisions, setRevisions] = useState<Loaded<Revisions>>({ state: 'loading' });
  const [selected, setSelected] = useState<number | undefined>(undefined);
  const [view, setView] = useState<View>({ mode: 'preview' });
  const [content, setContent] = useState<Loaded<{ kind: 'text'; text: string } | { kind: 'diff'; diff: Diff }> | undefined>(undefined);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [confirmRestore, setConfirmRestore] = useState<number | undefined>(undefined);

  const reload = useCallback(() => {
    api.revisions(docId, link).then(
      (r) => setRevisions({ state: 'ready', value: r }),
      (err: unknown) => setRevisions({ state: 'error', message: failure(err) }),
    );
  }, [api, docId, link]);

  // Reload when opened, and (debounced) as the document moves on.
  useEffect(() => {
    const timer = setTimeout(reload, revisions.state === 'loading' ? 0 : 800);
    return () => clearTimeout(timer);
  }, [reload, serverVersion]);

  const entries: TimelineEntry[] = useMemo(() => {
    if (revisions.state !== 'ready') return [];
    const current: TimelineEntry = { kind: 'current', version: revisions.value.version };
    return [current, ...revisions.value.revisions];
  }, [revisions]);
  const currentVersion = revisions.state === 'ready' ? revisions.value.version : undefined;

  // Load what the detail area shows for the selection.
  useEffect(() => {
    if (selected === undefined) {
      setContent(undefined);
      return;
    }
    let cancelled = false;
    setContent({ state: 'loading' });
    const load =
      view.mode === 'preview'
        ? api.textAt(docId, selected, link).then((r) => ({ kind: 'text' as const, text: r.text }))
        : api.diff(docId, Math.min(selected, view.against), Math.max(selected, view.against), link).then((diff) => ({ kind: 'diff' as const, diff }));
    load.then(
      (value) => !cancelled && setContent({ state: 'ready', value }),
      (err: unknown) => !cancelled && setContent({ state: 'error', message: failure(err) }),
    );
    return () => {
      cancelled = true;
    };
  }, [api, docId, link, selected, view]);

  const nameVersion = (e: FormEvent): void => {
    e.preventDefault();
    const trimmed = name.trim();
    if (trimmed === '') return;
    setBusy(true);
    api.nameVersion(docId, trimmed, undefined, link).then(
      (r) => {
        setName('');
        setNotice(`Saved “${trimmed}” as version ${r.version}.`);
        reload();
      },
      (err: unknown) => setNotice(failure(err)),
    ).finally(() => setBusy(false));
  };

  const restore = (version: number): void => {
    setBusy(true);
    api.restore(docId, version, link).then(
      (r) => {
        setNotice(r.changed ? `Restored version ${version} (now version ${r.version}).` : `The text already matches version ${version}.`);
        setConfirmRestore(undefined);
        setSelected(undefined);
        reload();
      },
      (err: unknown) => {
        setConfirmRestore(undefined);
        setNotice(failure(err));
      },
    ).finally(() => setBusy(false));
  };

  const selectedEntry = entries.find((e) => e.version === selected);
  const compareTargets = entries.filter((e) => e.version !== selected);

  return (
    <aside className="panel" aria-label="Version history" data-testid="history-panel">
      <header className="panel-header">
        <h2>Version history</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close history">
          ✕
        </button>
      </header>
      {canEdit && (
        <form className="inline-form" onSubmit={nameVersion}>
          <label className="visually-hidden" htmlFor="version-name">
            Name the current version
          </label>
          <input id="version-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Name the current version" maxLength={200} />
          <button type="submit" disabled={busy || name.trim() === ''}>
            Save
          </button>
        </form>
      )}
      {notice !== undefined && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {revisions.state === 'loading' && <p className="muted">Loading history…</p>}
      {revisions.state === 'error' && <p className="error">{revisions.message}</p>}
      {revisions.state === 'ready' && revisions.value.revisions.length === 0 && (
        <p className="muted">No checkpoints or named versions yet. Checkpoints are made as the document is edited; name the current version to mark it now.</p>
      )}
      {revisions.state === 'ready' && (
        <Timeline
          entries={entries}
          selected={selected}
          nameOf={nameOf}
          onSelect={(v) => {
            setSelected(v);
            setView({ mode: 'preview' });
          }}
        />
      )}
      {selectedEntry !== undefined && (
        <section className="version-detail" aria-label="Selected version">
          <h3>
            {entryTitle(selectedEntry)} <span className="muted">v{selectedEntry.version}</span>
          </h3>
          <div className="detail-actions">
            <button type="button" aria-pressed={view.mode === 'preview'} onClick={() => setView({ mode: 'preview' })}>
              Preview
            </button>
            {compareTargets.length > 0 && (
              <label className="compare">
                Compare with{' '}
                <select
                  value={view.mode === 'diff' ? String(view.against) : ''}
                  onChange={(e) => setView(e.target.value === '' ? { mode: 'preview' } : { mode: 'diff', against: Number(e.target.value) })}
                  data-testid="compare-select"
                >
                  <option value="">—</option>
                  {compareTargets.map((t) => (
                    <option key={`${t.kind}-${t.version}`} value={t.version}>
                      {entryTitle(t)} (v{t.version})
                    </option>
                  ))}
                </select>
              </label>
            )}
            {canEdit && selectedEntry.version !== currentVersion && (
              <button type="button" className="danger" onClick={() => setConfirmRestore(selectedEntry.version)}>
                Restore…
              </button>
            )}
          </div>
          {content?.state === 'loading' && <p className="muted">Loading…</p>}
          {content?.state === 'error' && <p className="error">{content.message}</p>}
          {content?.state === 'ready' && content.value.kind === 'text' && (
            <pre className="preview" aria-label="Read-only preview" data-testid="preview">
              {content.value.text === '' ? <span className="muted">(empty)</span> : content.value.text}
            </pre>
          )}
          {content?.state === 'ready' && content.value.kind === 'diff' && <DiffView segments={content.value.diff.segments} nameOf={nameOf} />}
        </section>
      )}
      {confirmRestore !== undefined && (
        <ConfirmDialog
          title={`Restore version ${confirmRestore}?`}
          message={<p>The text goes back to how it was at version {confirmRestore}, for everyone. This is saved as a new version, so the current text stays in the history.</p>}
          confirmLabel="Restore"
          busy={busy}
          onConfirm={() => restore(confirmRestore)}
          onCancel={() => setConfirmRestore(undefined)}
        />
      )}
    </aside>
  );
}
