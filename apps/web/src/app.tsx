/**
 * The app shell: the signed-in user (or the sign-in screen), the top bar, and the screen for the
 * current URL. A share link opened before signing in survives the sign-in: the URL is kept.
 */
import { useMemo, useState } from 'react';
import { Api } from './lib/api.js';
import { loadSession, saveSession, type Session } from './lib/session.js';
import { navigate, useRoute } from './lib/router.js';
import { clientFor, signOutClient } from './lib/tandem.js';
import { loadP2PSettings, p2pOptions, type P2PSettings } from './lib/p2p-settings.js';
import { SignIn } from './pages/sign-in.js';
import { DocList } from './pages/doc-list.js';
import { EditorPage } from './pages/editor-page.js';

export function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const route = useRoute();
  // Once per page load: the client is made with them, so a change applies after a reload.
  const [p2p] = useState<P2PSettings>(() => loadP2PSettings(window.location.search, import.meta.env.VITE_TANDEM_ICE_SERVERS));

  const signIn = (s: Session): void => {
    saveSession(s);
    setSession(s);
  };
  const signOut = (): void => {
    void signOutClient();
    saveSession(undefined);
    setSession(undefined);
    navigate('/');
  };

  if (session === undefined) return <SignIn onSignIn={signIn} />;
  return <SignedIn session={session} onSignOut={signOut} route={route} p2p={p2p} />;
}

function SignedIn({ session, onSignOut, route, p2p }: { session: Session; onSignOut: () => void; route: ReturnType<typeof useRoute>; p2p: P2PSettings }) {
  const client = useMemo(() => clientFor(session, p2pOptions(p2p)), [session, p2p]);
  const api = useMemo(() => new Api(session), [session]);
  return (
    <div className="app">
      <header className="top-bar">
        <a
          className="brand"
          href="/"
          onClick={(e) => {
            e.preventDefault();
            navigate('/');
          }}
        >
          Tandem
        </a>
        <span className="user" title={`User id: ${session.userId}`}>
          {session.name} <span className="muted">({session.userId})</span>
        </span>
        <button type="button" className="link-button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {route.page === 'home' && <DocList api={api} userId={session.userId} />}
      {route.page === 'doc' && <EditorPage key={`${route.docId}\n${route.link ?? ''}`} client={client} api={api} session={session} docId={route.docId} link={route.link} p2p={p2p} />}
      {route.page === 'not-found' && (
        <main className="page centered">
          <div className="card">
            <h1>Nothing here</h1>
            <p className="muted">There is no page at {route.path}.</p>
            <button type="button" onClick={() => navigate('/')}>
              Go to your documents
            </button>
          </div>
        </main>
      )}
    </div>
  );
}
