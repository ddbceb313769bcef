/**
 * The share dialog: who has access (grant a user a level, change it, remove it) and share links
 * (create one with a level and an expiry, copy it, see which are active, expired or revoked,
 * revoke). Only owners may change sharing — the server enforces it; the dialog says so up front
 * instead of letting others fill in forms that will be refused.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, errorMessage, type Api, type Grant, type Level, type ShareLink } from '../lib/api.js';
import { Dialog } from '../components/dialog.js';
import { ShareLinks } from './share-links.js';

interface Props {
  readonly api: Api;
  readonly docId: string;
  readonly link: string | undefined;
  readonly isOwner: boolean;
  readonly myUserId: string;
  readonly onClose: () => void;
}

const GRANT_LEVELS: readonly Level[] = ['viewer', 'commenter', 'editor', 'owner'];

function problem(err: unknown): string {
  if (err instanceof ApiError && err.unreachable) return 'Sharing needs the server, which cannot be reached right now.';
  return errorMessage(err);
}

export function ShareDialog({ api, docId, link, isOwner, myUserId, onClose }: Props) {
  const [grants, setGrants] = useState<readonly Grant[] | undefined>(undefined);
  const [links, setLinks] = useState<readonly ShareLink[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [user, setUser] = useState('');
  const [level, setLevel] = useState<Level>('editor');
  const [busy, setBusy] = useState(false);

  const reload = useCallback(() => {
    setError(undefined);
    api.collaborators(docId, link).then((r) => setGrants(r.collaborators), (err: unknown) => setError(problem(err)));
    if (isOwner) api.links(docId).then((r) => setLinks(r.links), (err: unknown) => setError(problem(err)));
  }, [api, docId, link, isOwner]);

  useEffect(reload, [reload]);

  const run = (action: Promise<unknown>): void => {
    setBusy(true);
    action.then(reload, (err: unknown) => setError(problem(err))).finally(() => setBusy(false));
  };

  const addPerson = (e: FormEvent): void => {
    e.preventDefault();
    const id = user.trim();
    if (id === '') return;
    run(api.grant(docId, id, level).then(() => setUser('')));
  };

  return (
    <Dialog title="Share" onClose={onClose} className="dialog-share">
      {!isOwner && <p className="notice">Only the document’s owners can change who has access.</p>}
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <section aria-labelledby="people-title">
        <h3 id="people-title">People with access</h3>
        {isOwner && (
          <form className="inline-form" onSubmit={addPerson}>
            <label className="visually-hidden" htmlFor="share-user">
              User id
            </label>
            <input id="share-user" value={user} onChange={(e) => setUser(e.target.value)} placeholder="User id, e.g. bob" autoComplete="off" />
            <label className="visually-hidden" htmlFor="share-level">
              Access level
            </label>
            <select id="share-level" value={level} onChange={(e) => setLevel(e.target.value as Level)}>
              {GRANT_LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
            <button type="submit" className="primary" disabled={busy || user.trim() === ''}>
              Share
            </button>
          </form>
        )}
        {grants === undefined && error === undefined && <p className="muted">Loading…</p>}
        {grants !== undefined && (
          <ul className="rows" data-testid="grants">
            {grants.map((g) => (
              <li key={g.user} className="row">
                <span className="row-main">
                  {g.user}
                  {g.user === myUserId && <span className="muted"> (you)</span>}
                </span>
                {isOwner ? (
                  <>
                    <select aria-label={`Access level of ${g.user}`} value={g.level} disabled={busy} onChange={(e) => run(api.grant(docId, g.user, e.target.value as Level))}>
                      {GRANT_LEVELS.map((l) => (
                        <option key={l} value={l}>
                          {l}
                        </option>
                      ))}
                    </select>
                    <button type="button" className="link-button" disabled={busy} onClick={() => run(api.revokeGrant(docId, g.user))} aria-label={`Remove ${g.user}`}>
                      Remove
                    </button>
                  </>
                ) : (
                  <span className="badge">{g.level}</span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      {isOwner && <ShareLinks api={api} docId={docId} links={links} busy={busy} run={run} />}
    </Dialog>
  );
}
