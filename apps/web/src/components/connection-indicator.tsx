/**
 * The connection as the user needs to know it: connected / connecting / reconnecting / offline,
 * how many of their changes are not on the server yet, and when the document last matched the
 * server. Offline is not an error — edits keep working and are kept on this device — so the
 * wording says what will happen rather than what failed. "Retry now" skips the backoff wait.
 */
import { useEffect, useState } from 'react';
import type { ConnectionStatus } from '@tandem/client';

interface Props {
  readonly status: ConnectionStatus;
  readonly pending: number;
  readonly lastSyncedAt: number | undefined;
  readonly onRetry: () => void;
}

const LABEL: Record<ConnectionStatus, string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

export function relativeTime(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  return new Date(at).toLocaleString();
}

export function ConnectionIndicator({ status, pending, lastSyncedAt, onRetry }: Props) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5_000);
    return () => clearInterval(timer);
  }, []);
  const saved = pending === 0 ? (status === 'connected' ? 'All changes saved' : 'No unsent changes') : `${pending} unsent change${pending === 1 ? '' : 's'}${status === 'connected' ? '' : ' — kept on this device'}`;
  const synced = lastSyncedAt === undefined ? 'Not synced yet' : `Synced ${relativeTime(lastSyncedAt, now)}`;
  return (
    <div className={`connection connection-${status}`} role="status" aria-live="polite" data-status={status} data-pending={pending}>
      <span className="connection-dot" aria-hidden="true" />
      <span className="connection-text">
        <strong>{LABEL[status]}</strong>
        <span className="connection-detail">
          {saved} · <span title={lastSyncedAt === undefined ? undefined : new Date(lastSyncedAt).toLocaleString()}>{synced}</span>
        </span>
      </span>
      {status !== 'connected' && status !== 'connecting' && (
        <button type="button" className="link-button" onClick={onRetry}>
          Retry now
        </button>
      )}
    </div>
  );
}
