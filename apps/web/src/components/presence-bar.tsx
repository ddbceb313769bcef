/**
 * Who is here: one avatar per person on the document (their initials in their color), a status
 * dot (online, away, offline), and a typing indicator. Clicking an avatar (or pressing Enter on
 * it) scrolls the editor to that person's cursor. This profile's other tabs are not people, so
 * they get no avatar (their cursors still show in the editor). Someone this browser is linked to
 * directly (peer-to-peer) gets a small link mark: their edits reach us without the server's detour.
 */
import type { PeerPresence } from '@tandem/client';

interface Props {
  readonly me: { readonly name: string; readonly color: string | undefined };
  readonly peers: readonly PeerPresence[];
  readonly myUserId: string;
  readonly onJump: (peer: PeerPresence) => void;
  /** False while disconnected: what we know of the others may be out of date, so it is shown dimmed. */
  readonly live: boolean;
}

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter((w) => w.length > 0);
  const letters = words.length >= 2 ? [words[0]!, words[words.length - 1]!].map((w) => [...w][0] ?? '') : [...(words[0] ?? '?')].slice(0, 2);
  return letters.join('').toUpperCase();
}

const STATUS_TEXT = { online: 'online', away: 'away', offline: 'offline' } as const;

export function PresenceBar({ me, peers, myUserId, onJump, live }: Props) {
  // A person is reported by the server or, while a direct link is open, by themselves.
  const people = peers.filter((p) => p.via !== 'tab' && p.userId !== myUserId);
  return (
    <ul className={live ? 'presence' : 'presence presence-stale'} aria-label="People in this document">
      <li>
        <span className="avatar avatar-me" style={{ backgroundColor: me.color ?? '#64748b' }} title={`${me.name} (you)`}>
          {initials(me.name)}
          <span className="status-dot status-online" aria-hidden="true" />
        </span>
        <span className="visually-hidden">{me.name} (you)</span>
      </li>
      {people.map((p) => {
        const status = STATUS_TEXT[p.status];
        const direct = p.via === 'p2p';
        const label = `${p.name}, ${live ? status : 'last seen ' + status}${p.typing ? ', typing' : ''}${direct ? ', connected directly' : ''}${p.cursor !== null ? ' — go to their cursor' : ''}`;
        return (
          <li key={p.key}>
            <button
              type="button"
              className="avatar"
              style={{ backgroundColor: p.color }}
              title={label}
              aria-label={label}
              data-user={p.userId}
              data-status={p.status}
              data-typing={p.typing ? 'true' : 'false'}
              data-direct={direct ? 'true' : 'false'}
              onClick={() => onJump(p)}
              disabled={p.cursor === null}
            >
              {initials(p.name)}
              <span className={`status-dot status-${p.status}`} aria-hidden="true" />
              {direct && <span className="direct-mark" aria-hidden="true" />}
              {p.typing && (
                <span className="typing" aria-hidden="true">
                  <i />
                  <i />
                  <i />
                </span>
              )}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
