/**
 * Whether this browser links directly to the others on a document (WebRTC data channels beside the
 * server, see packages/client/README.md "Peer-to-peer sync"), and through which STUN / TURN
 * servers. On by default where the browser has RTCPeerConnection; turned off (or on again) by the
 * switch on the performance dashboard or by opening any page with `?p2p=off` (`?p2p=on`), which
 * is remembered in this browser. The ICE servers are part of the app's build configuration:
 * `VITE_TANDEM_ICE_SERVERS` holds them as JSON (`[{"urls":"stun:stun.example.com:3478"}]`, TURN
 * entries with `username` and `credential`); without it only host candidates are used, which is
 * enough on one machine or a LAN.
 */
import type { IceServer, P2POptions } from '@tandem/client';

export interface P2PSettings {
  /** The user's choice (default on). */
  readonly enabled: boolean;
  /** Whether this browser can make peer connections at all. */
  readonly supported: boolean;
  readonly iceServers: readonly IceServer[];
  /** Why the configured ICE servers were not used, if they were unusable. */
  readonly configError: string | undefined;
}

const KEY = 'tandem.p2p';

/**
 * The ICE servers of a `VITE_TANDEM_ICE_SERVERS` value (undefined or blank: none).
 * @throws Error naming the offending value when it is not a JSON array of `{ urls, username?, credential? }`.
 */
export function parseIceServers(raw: string | undefined): IceServer[] {
  if (raw === undefined || raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`VITE_TANDEM_ICE_SERVERS is not JSON: ${JSON.stringify(raw.slice(0, 80))}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`VITE_TANDEM_ICE_SERVERS must be a JSON array, got ${JSON.stringify(raw.slice(0, 80))}`);
  return parsed.map((entry: unknown, i) => {
    const e = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
    const urls = e['urls'];
    const okUrls = typeof urls === 'string' || (Array.isArray(urls) && urls.length > 0 && urls.every((u) => typeof u === 'string'));
    if (!okUrls) throw new Error(`VITE_TANDEM_ICE_SERVERS[${i}].urls must be a string or a list of strings, got ${JSON.stringify(urls)}`);
    for (const field of ['username', 'credential'] as const) {
      if (e[field] !== undefined && typeof e[field] !== 'string') throw new Error(`VITE_TANDEM_ICE_SERVERS[${i}].${field} must be a string, got ${JSON.stringify(e[field])}`);
    }
    return {
      urls: urls as string | string[],
      ...(typeof e['username'] === 'string' ? { username: e['username'] } : {}),
      ...(typeof e['credential'] === 'string' ? { credential: e['credential'] } : {}),
    };
  });
}

/** The user's choice: `?p2p=on|off` in this page's URL (remembered), else the remembered one, else on. */
function readChoice(search: string, storage: Storage | undefined): boolean {
  const flag = new URLSearchParams(search).get('p2p');
  if (flag === 'on' || flag === 'off') {
    saveP2PEnabled(flag === 'on', storage);
    return flag === 'on';
  }
  try {
    return storage?.getItem(KEY) !== 'off';
  } catch {
    return true;
  }
}

/** Reads the settings once, when the app starts (a change applies on the next page load). */
export function loadP2PSettings(search: string, iceServersConfig: string | undefined, storage: Storage | undefined = globalThis.localStorage): P2PSettings {
  let iceServers: IceServer[] = [];
  let configError: string | undefined;
  try {
    iceServers = parseIceServers(iceServersConfig);
  } catch (err) {
    configError = err instanceof Error ? err.message : String(err);
  }
  return {
    enabled: readChoice(search, storage),
    supported: typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'function',
    iceServers,
    configError,
  };
}

export function saveP2PEnabled(enabled: boolean, storage: Storage | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(KEY, enabled ? 'on' : 'off');
  } catch {
    // Private mode without storage: the choice lasts for this page only.
  }
}

/** The client's `p2p` option: undefined (off) when the user turned it off or the browser cannot. */
export function p2pOptions(settings: P2PSettings): P2POptions | undefined {
  if (!settings.enabled || !settings.supported) return undefined;
  return { iceServers: settings.iceServers };
}
