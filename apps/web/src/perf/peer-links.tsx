/**
 * The dashboard's direct-links section: the switch that turns peer-to-peer sync on or off for
 * this browser, how many remote events reached us first over a direct link and how many by the
 * server, and one row per peer on the document: who, the link's state, the path their edits take
 * now (P2P or via the server), the data-channel round trip (p50 / p95), how long the link took to
 * set up, and the events it brought first.
 */
import type { PeerMetrics } from '@tandem/client';
import { saveP2PEnabled, type P2PSettings } from '../lib/p2p-settings.js';
import type { P2PSample } from './metrics-sampler.js';

interface Props {
  readonly settings: P2PSettings;
  /** The latest sample's direct-link numbers (undefined until the first sample). */
  readonly p2p: P2PSample | undefined;
  readonly nameOf: (userId: string) => string;
}

const fmtMs = (v: number | undefined): string => (v === undefined ? '—' : `${Math.round(v)} ms`);

const STATE_TEXT: Record<PeerMetrics['state'], string> = {
  idle: 'waiting',
  connecting: 'connecting…',
  open: 'open',
  failed: 'failed',
  closed: 'closed',
};

function share(part: number, whole: number): string {
  return whole === 0 ? 'remote events' : `${Math.round((part / whole) * 100)} % of remote events`;
}

export function PeerLinks({ settings, p2p, nameOf }: Props) {
  const toggle = (on: boolean): void => {
    saveP2PEnabled(on);
    // The client is made once per page load with its P2P settings: a reload applies the change.
    window.location.reload();
  };
  const on = p2p?.enabled ?? (settings.enabled && settings.supported);
  const total = p2p === undefined ? 0 : p2p.eventsViaP2P + p2p.eventsViaServer;
  return (
    <section aria-label="Direct links" data-testid="p2p-panel" data-enabled={on ? 'true' : 'false'}>
      <h3>Direct links (peer-to-peer)</h3>
      <label className="switch">
        <input type="checkbox" checked={settings.enabled && settings.supported} disabled={!settings.supported} onChange={(e) => toggle(e.currentTarget.checked)} data-testid="p2p-toggle" />
        <span>
          Connect directly to the others (WebRTC)
          <span className="muted"> — {settings.supported ? 'changing this reloads the page' : 'this browser cannot'}</span>
        </span>
      </label>
      {settings.configError !== undefined && <p className="error">ICE servers not used: {settings.configError}</p>}
      {!on ? (
        <p className="muted">Off: every edit goes through the server.</p>
      ) : (
        <>
          <div className="stats">
            <div className="stat" data-stat="via-p2p">
              <span className="stat-label">First via P2P</span>
              <span className="stat-value">{p2p === undefined ? '—' : p2p.eventsViaP2P}</span>
              <span className="stat-detail">{share(p2p?.eventsViaP2P ?? 0, total)}</span>
            </div>
            <div className="stat" data-stat="via-server">
              <span className="stat-label">First via server</span>
              <span className="stat-value">{p2p === undefined ? '—' : p2p.eventsViaServer}</span>
              <span className="stat-detail">{share(p2p?.eventsViaServer ?? 0, total)}</span>
            </div>
          </div>
          {p2p === undefined || p2p.peers.length === 0 ? (
            <p className="muted" data-testid="p2p-empty">
              {p2p === undefined ? 'Collecting numbers…' : 'No one else has this document open.'}
            </p>
          ) : (
            <div className="table-scroll">
              <table className="peer-table" data-testid="p2p-peers">
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Link</th>
                    <th scope="col">Transport</th>
                    <th scope="col" title="Data-channel round trip, median">RTT p50</th>
                    <th scope="col" title="Data-channel round trip, 95th percentile">p95</th>
                    <th scope="col" title="Time to set up the last link">Setup</th>
                    <th scope="col" title="Events this peer delivered first over the direct link">P2P events</th>
                  </tr>
                </thead>
                <tbody>
                  {p2p.peers.map((p) => (
                    <tr key={p.connectionId} data-peer={p.userId} data-state={p.state} data-transport={p.transport}>
                      <th scope="row" title={`connection ${p.connectionId}, ${p.level}`}>
                        {nameOf(p.userId)}
                      </th>
                      <td title={`${p.attempts} attempt${p.attempts === 1 ? '' : 's'}${p.lastError !== undefined ? `; the last link ended: ${p.lastError}` : ''}`} data-cell="state">
                        <span className={`link-state link-${p.state}`}>{STATE_TEXT[p.state]}</span>
                      </td>
                      <td data-cell="transport">{p.transport === 'p2p' ? <strong className="transport-p2p">P2P</strong> : 'via server'}</td>
                      <td>{fmtMs(p.rtt.p50)}</td>
                      <td>{fmtMs(p.rtt.p95)}</td>
                      <td>{fmtMs(p.setupMs)}</td>
                      <td data-cell="events">
                        {p.eventsReceived}
                        {p.refused + p.invalid > 0 && <span className="muted"> · {p.refused + p.invalid} dropped</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
