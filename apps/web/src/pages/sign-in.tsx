/**
 * Sign-in: with a JWT issued by your identity provider (servers with authentication), or, on a
 * dev-mode server, by choosing a display name. Nothing is checked here beyond the token's shape:
 * the server verifies tokens on every connection and request.
 */
import { useState, type FormEvent } from 'react';
import { devSession, devUserId, jwtSession, type Session } from '../lib/session.js';

export function SignIn({ onSignIn }: { readonly onSignIn: (session: Session) => void }) {
  const [mode, setMode] = useState<'dev' | 'jwt'>('dev');
  const [name, setName] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setError(undefined);
    try {
      if (mode === 'dev') {
        if (name.trim() === '') throw new Error('Choose a display name.');
        onSignIn(devSession(name));
      } else {
        onSignIn(jwtSession(token));
      }
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <main className="centered">
      <form className="card sign-in" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Tandem</h1>
        <div className="tabs" role="radiogroup" aria-label="How to sign in">
          <label className={mode === 'dev' ? 'tab tab-active' : 'tab'}>
            <input type="radio" name="mode" value="dev" checked={mode === 'dev'} onChange={() => setMode('dev')} /> Display name
          </label>
          <label className={mode === 'jwt' ? 'tab tab-active' : 'tab'}>
            <input type="radio" name="mode" value="jwt" checked={mode === 'jwt'} onChange={() => setMode('jwt')} /> Token
          </label>
        </div>
        {mode === 'dev' ? (
          <>
            <label htmlFor="name">Display name</label>
            <input id="name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Ana Lima" autoComplete="name" autoFocus maxLength={128} />
            <p className="hint">
              For servers in dev mode. {name.trim() !== '' ? <>Your user id will be <code>{devUserId(name)}</code> — others share documents with you by it.</> : 'Your user id is made from the name.'}
            </p>
          </>
        ) : (
          <>
            <label htmlFor="token">JSON Web Token</label>
            <textarea id="token" value={token} onChange={(e) => setToken(e.target.value)} rows={4} placeholder="eyJhbGciOi…" spellCheck={false} />
            <p className="hint">A token from your identity provider; its subject is your user id.</p>
          </>
        )}
        {error !== undefined && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary">
          Continue
        </button>
      </form>
    </main>
  );
}
