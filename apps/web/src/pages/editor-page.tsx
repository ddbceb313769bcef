/**
 * The document screen: a toolbar (back to the list, the document's name and my access level,
 * who is here, the connection, and the history / share / performance buttons), the editor, and
 * one side panel at a time. The document opens from this device's store first, so it is
 * editable at once — offline too — and syncs in the background.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { EditorView } from '@codemirror/view';
import type { MergeReport, PeerPresence, TandemClient, TandemDocument } from '@tandem/client';
import { scrollToPosition } from '@tandem/codemirror';
import type { Api } from '../lib/api.js';
import type { Session } from '../lib/session.js';
import type { P2PSettings } from '../lib/p2p-settings.js';
import { recentDoc, rememberDoc } from '../lib/recent-docs.js';
import { navigate } from '../lib/router.js';
import { useConnectionStatus, useOpenDocument, usePeers, useSyncState } from '../lib/use-document.js';
import { CollabEditor } from '../editor/collab-editor.js';
import { ConnectionIndicator } from '../components/connection-indicator.js';
import { PresenceBar } from '../components/presence-bar.js';
import { HistoryPanel } from '../history/history-panel.js';
import { ShareDialog } from '../sharing/share-dialog.js';
import { PerfDashboard } from '../perf/perf-dashboard.js';

interface Props {
  readonly client: TandemClient;
  readonly api: Api;
  readonly session: Session;
  readonly docId: string;
  readonly link: string | undefined;
  readonly p2p: P2PSettings;
}

export function EditorPage({ client, api, session, docId, link, p2p }: Props) {
  // A link given once is remembered, so the document reopens from the list with the same access.
  const effectiveLink = link ?? recentDoc(session.userId, docId)?.link;
  const opened = useOpenDocument(client, docId, effectiveLink, session.name);
  if (opened.state === 'loading') {
    return (
      <main className="page centered">
        <p className="muted" role="status">
          Opening {docId}…
        </p>
      </main>
    );
  }
  if (opened.state === 'error') {
    return (
      <main className="page centered">
        <div className="card">
          <h1>Could not open this document</h1>
          <p className="error">{opened.message}</p>
          <button type="button" onClick={() => navigate('/')}>
            Back to documents
          </button>
        </div>
      </main>
    );
  }
  return <OpenDocument client={client} api={api} session={session} doc={opened.doc} link={effectiveLink} p2p={p2p} />;
}

type Panel = 'history' | 'perf' | undefined;

function OpenDocument({ client, api, session, doc, link, p2p }: { client: TandemClient; api: Api; session: Session; doc: TandemDocument; link: string | undefined; p2p: P2PSettings }) {
  const status = useConnectionStatus(client);
  const sync = useSyncState(doc);
  const peers = usePeers(doc);
  const [panel, setPanel] = useState<Panel>(undefined);
  const [sharing, setSharing] = useState(false);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [merged, setMerged] = useState<string | undefined>(undefined);
  const view = useRef<EditorView | undefined>(undefined);
  const onView = useCallback((v: EditorView | undefined) => {
    view.current = v;
  }, []);

  const level = sync.level ?? recentDoc(session.userId, doc.id)?.level;
  const readOnly = level === 'viewer' || level === 'commenter';

  useEffect(() => {
    rememberDoc(session.userId, { id: doc.id, link, level: sync.level });
  }, [session.userId, doc.id, link, sync.level]);

  useEffect(() => {
    const offs = [
      doc.on('error', (err) => setProblem(err.message)),
      doc.on('merge', (report: MergeReport) => {
        if (report.initial || (report.remoteEvents === 0 && report.localEvents === 0)) return;
        setMerged(`Back in sync: ${report.localEvents} of your changes sent, ${report.remoteEvents} from others merged.`);
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [doc]);

  useEffect(() => {
    if (merged === undefined) return;
    const timer = setTimeout(() => setMerged(undefined), 6_000);
    return () => clearTimeout(timer);
  }, [merged]);

  const nameOf = useCallback(
    (userId: string): string => {
      if (userId === session.userId) return `${session.name} (you)`;
      return peers.find((p) => p.userId === userId)?.name ?? userId;
    },
    [peers, session],
  );

  const jump = (peer: PeerPresence): void => {
    const v = view.current;
    // The live cursor, not the rendered snapshot: edits move cursors without presence events.
    const cursor = doc.presence.get(peer.key)?.cursor ?? peer.cursor;
    if (v === undefined || cursor === null) return;
    scrollToPosition(v, cursor.head);
    v.focus();
    const caret = v.dom.querySelector<HTMLElement>(`.cm-tandem-caret[data-user="${CSS.escape(peer.key)}"]`);
    caret?.classList.add('cm-tandem-caret-flash');
    setTimeout(() => caret?.classList.remove('cm-tandem-caret-flash'), 1_200);
  };

  const toggle = (p: Exclude<Panel, undefined>): void => setPanel((cur) => (cur === p ? undefined : p));

  return (
    <main className="page editor-page">
      <div className="doc-bar">
        <div className="doc-title">
          <a
            href="/"
            className="back"
            onClick={(e) => {
              e.preventDefault();
              navigate('/');
            }}
            aria-label="Back to documents"
          >
            ←
          </a>
          <h1 title={doc.id}>{doc.id}</h1>
          {level !== undefined && (
            <span className={`badge level-${level}`} data-testid="level">
              {readOnly ? 'View only' : level}
            </span>
          )}
        </div>
        <PresenceBar me={{ name: session.name, color: client.me?.color }} peers={peers} myUserId={session.userId} onJump={jump} live={status === 'connected'} />
        <ConnectionIndicator status={status} pending={sync.pending} lastSyncedAt={sync.lastSyncedAt} onRetry={() => client.reconnectNow()} />
        <div className="doc-actions">
          <button type="button" aria-pressed={panel === 'history'} onClick={() => toggle('history')}>
            History
          </button>
          <button type="button" onClick={() => setSharing(true)}>
            Share
          </button>
          <button type="button" aria-pressed={panel === 'perf'} onClick={() => toggle('perf')}>
            Performance
          </button>
        </div>
      </div>
      {problem !== undefined && (
        <div className="banner banner-error" role="alert">
          {problem}
          <button type="button" className="link-button" onClick={() => setProblem(undefined)}>
            Dismiss
          </button>
        </div>
      )}
      {merged !== undefined && (
        <div className="banner" role="status">
          {merged}
        </div>
      )}
      <div className={`doc-body ${panel !== undefined ? 'with-panel' : ''}`}>
        <CollabEditor client={client} doc={doc} readOnly={readOnly} onView={onView} />
        {panel === 'history' && (
          <HistoryPanel api={api} docId={doc.id} link={link} canEdit={!readOnly} nameOf={nameOf} serverVersion={doc.serverVersion} onClose={() => setPanel(undefined)} />
        )}
        {panel === 'perf' && <PerfDashboard client={client} doc={doc} p2p={p2p} nameOf={nameOf} onClose={() => setPanel(undefined)} />}
      </div>
      {sharing && <ShareDialog api={api} docId={doc.id} link={link} isOwner={level === 'owner'} myUserId={session.userId} onClose={() => setSharing(false)} />}
    </main>
  );
}
