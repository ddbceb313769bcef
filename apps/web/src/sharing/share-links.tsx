/**
 * Share links inside the share dialog: a form to create one (level and expiry), and the list of
 * the document's links with their state, a copy button, and revoke. A link never grants owner.
 */
import { useState, type FormEvent } from 'react';
import type { Api, Level, ShareLink } from '../lib/api.js';
import { shareUrl } from './share-url.js';

interface Props {
  readonly api: Api;
  readonly docId: string;
  readonly links: readonly ShareLink[] | undefined;
  readonly busy: boolean;
  readonly run: (action: Promise<unknown>) => void;
}

const LINK_LEVELS: readonly Level[] = ['viewer', 'commenter', 'editor'];
const EXPIRIES: readonly { readonly label: string; readonly ms: number | null }[] = [
  { label: 'Never expires', ms: null },
  { label: '1 hour', ms: 3_600_000 },
  { label: '1 day', ms: 86_400_000 },
  { label: '7 days', ms: 7 * 86_400_000 },
  { label: '30 days', ms: 30 * 86_400_000 },
];

function linkState(l: ShareLink, now: number): 'active' | 'expired' | 'revoked' {
  if (l.revoked) return 'revoked';
  if (l.expiresAt !== null && l.expiresAt <= now) return 'expired';
  return 'active';
}

export function ShareLinks({ api, docId, links, busy, run }: Props) {
  const [level, setLevel] = useState<Level>('viewer');
  const [expiry, setExpiry] = useState(0);
  const [copied, setCopied] = useState<string | undefined>(undefined);
  const now = Date.now();

  const create = (e: FormEvent): void => {
    e.preventDefault();
    const ms = EXPIRIES[expiry]?.ms ?? null;
    run(api.createLink(docId, level, ms === null ? null : Date.now() + ms));
  };

  const copy = (token: string): void => {
    const url = shareUrl(docId, token);
    // The clipboard API needs a secure context; the URL is shown in the field either way.
    navigator.clipboard?.writeText(url).then(
      () => setCopied(token),
      () => setCopied(undefined),
    );
  };

  return (
    <section aria-labelledby="links-title">
      <h3 id="links-title">Links</h3>
      <form className="inline-form" onSubmit={create}>
        <label>
          Anyone with the link can{' '}
          <select value={level} onChange={(e) => setLevel(e.target.value as Level)} data-testid="link-level">
            {LINK_LEVELS.map((l) => (
              <option key={l} value={l}>
                {l === 'viewer' ? 'view' : l === 'commenter' ? 'comment' : 'edit'}
              </option>
            ))}
          </select>
        </label>
        <label className="visually-hidden" htmlFor="link-expiry">
          Expiry
        </label>
        <select id="link-expiry" value={expiry} onChange={(e) => setExpiry(Number(e.target.value))}>
          {EXPIRIES.map((x, i) => (
            <option key={x.label} value={i}>
              {x.label}
            </option>
          ))}
        </select>
        <button type="submit" className="primary" disabled={busy}>
          Create link
        </button>
      </form>
      {links === undefined && <p className="muted">Loading…</p>}
      {links !== undefined && links.length === 0 && <p className="muted">No links yet.</p>}
      {links !== undefined && links.length > 0 && (
        <ul className="rows" data-testid="links">
          {[...links].reverse().map((l) => {
            const state = linkState(l, now);
            return (
              <li key={l.token} className={`row link-${state}`} data-level={l.level} data-state={state}>
                <span className="row-main">
                  <span className="badge">{l.level}</span> {state === 'active' ? (l.expiresAt === null ? 'no expiry' : `until ${new Date(l.expiresAt).toLocaleString()}`) : state}
                  <input className="link-url" readOnly value={shareUrl(docId, l.token)} aria-label={`${l.level} link`} onFocus={(e) => e.currentTarget.select()} />
                </span>
                {state === 'active' && (
                  <>
                    <button type="button" className="link-button" onClick={() => copy(l.token)}>
                      {copied === l.token ? 'Copied' : 'Copy'}
                    </button>
                    <button type="button" className="link-button" disabled={busy} onClick={() => run(api.revokeLink(docId, l.token))}>
                      Revoke
                    </button>
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
