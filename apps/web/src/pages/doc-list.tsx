/**
 * The document list: the documents the user has access to (from the server) merged with the ones
 * opened on this device (which includes documents reached through a share link, and is all there
 * is offline), and a form to create a document. A document can be created offline too: the first
 * user to open an id that does not exist owns it once the server sees it.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, errorMessage, type Api, type DocSummary } from '../lib/api.js';
import { recentDocs, type RecentDoc } from '../lib/recent-docs.js';
import { docUrl, navigate } from '../lib/router.js';
import { relativeTime } from '../components/connection-indicator.js';

interface Props {
  readonly api: Api;
  readonly userId: string;
}

type Listing = { readonly state: 'loading' } | { readonly state: 'offline' } | { readonly state: 'error'; readonly message: string } | { readonly state: 'ready'; readonly docs: readonly DocSummary[] };

interface Row {
  readonly id: string;
  readonly level: string | undefined;
  readonly link: string | undefined;
  readonly openedAt: number | undefined;
  readonly createdAt: number | undefined;
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function rows(listing: Listing, recent: readonly RecentDoc[]): Row[] {
  const byId = new Map<string, Row>();
  for (const r of recent) byId.set(r.id, { id: r.id, level: r.level, link: r.link, openedAt: r.openedAt, createdAt: undefined });
  if (listing.state === 'ready') {
    for (const d of listing.docs) {
      const seen = byId.get(d.id);
      byId.set(d.id, { id: d.id, level: d.level, link: seen?.link, openedAt: seen?.openedAt, createdAt: d.createdAt });
    }
  }
  return [...byId.values()].sort((a, b) => (b.openedAt ?? b.createdAt ?? 0) - (a.openedAt ?? a.createdAt ?? 0));
}

export function DocList({ api, userId }: Props) {
  const [listing, setListing] = useState<Listing>({ state: 'loading' });
  const [newId, setNewId] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const recent = recentDocs(userId);

  useEffect(() => {
    let cancelled = false;
    api.listDocs().then(
      (r) => !cancelled && setListing({ state: 'ready', docs: r.documents }),
      (err: unknown) => !cancelled && setListing(err instanceof ApiError && err.unreachable ? { state: 'offline' } : { state: 'error', message: errorMessage(err) }),
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  const create = (e: FormEvent): void => {
    e.preventDefault();
    setError(undefined);
    const id = newId.trim() === '' ? randomId() : newId.trim();
    setBusy(true);
    api.createDoc(id).then(
      () => navigate(docUrl(id)),
      (err: unknown) => {
        // Offline: open it anyway; it is created on the server when this device syncs.
        if (err instanceof ApiError && err.unreachable) navigate(docUrl(id));
        else setError(errorMessage(err));
      },
    ).finally(() => setBusy(false));
  };

  const list = rows(listing, recent);
  return (
    <main className="page doc-list">
      <section className="card">
        <h1>Documents</h1>
        <form className="inline-form" onSubmit={create}>
          <label className="visually-hidden" htmlFor="new-doc">
            New document name
          </label>
          <input id="new-doc" value={newId} onChange={(e) => setNewId(e.target.value)} placeholder="New document name (optional)" maxLength={256} />
          <button type="submit" className="primary" disabled={busy}>
            New document
          </button>
        </form>
        {error !== undefined && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {listing.state === 'loading' && <p className="muted">Loading documents…</p>}
        {listing.state === 'offline' && <p className="notice">You are offline. Documents opened on this device are listed below and can be edited; they sync when you are back online.</p>}
        {listing.state === 'error' && <p className="error">Could not load your documents: {listing.message}</p>}
        {listing.state !== 'loading' && list.length === 0 && <p className="empty">No documents yet. Create one above, or open a link someone shared with you.</p>}
        {list.length > 0 && (
          <ul className="rows doc-rows" data-testid="doc-list">
            {list.map((d) => (
              <li key={d.id} className="row">
                <a className="row-main doc-link" href={docUrl(d.id, d.link)} onClick={(e) => {
                  e.preventDefault();
                  navigate(docUrl(d.id, d.link));
                }}>
                  {d.id}
                </a>
                {d.level !== undefined && <span className="badge">{d.level}</span>}
                <span className="muted row-meta">{d.openedAt !== undefined ? `opened ${relativeTime(d.openedAt, Date.now())}` : d.createdAt !== undefined ? `created ${relativeTime(d.createdAt, Date.now())}` : ''}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}
