/**
 * P2POptions: the settings of peer-to-peer sync with their defaults, and the check that turns
 * them into settings the mesh uses without re-validating.
 */
import { nativePeerConnectionFactory, type IceServer, type PeerConnectionFactory } from './peer-connection.js';

export interface P2POptions {
  /**
   * Default true: passing a `p2p` object turns peer-to-peer sync on (leaving `p2p` out keeps it
   * off). It needs a peer-connection factory: `peerConnection`, or the browser's RTCPeerConnection.
   */
  readonly enabled?: boolean;
  /** Makes peer connections. Default `globalThis.RTCPeerConnection`; in Node use `weriftPeerConnection()` from `@tandem/client/node`. */
  readonly peerConnection?: PeerConnectionFactory;
  /** STUN / TURN servers. Default none: enough on one machine or a LAN. */
  readonly iceServers?: readonly IceServer[];
  /** Peers per document with a direct link at most; the others go through the server (default 8). */
  readonly maxPeers?: number;
  /** A link that is not open this long after it was started is given up, ms (default 5 000). */
  readonly connectTimeoutMs?: number;
  /**
   * Links this client is offering at once, at most (default 2); the others wait their turn. Key
   * exchanges cost CPU: a dozen at once on a busy machine can all miss the deadline together.
   */
  readonly maxConcurrentOffers?: number;
  /** Retry delays after a link failed or dropped: first, cap (ms), and attempts before giving up until the peer reappears. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly maxAttempts?: number;
  /** Ping interval over each open link, ms (default 2 000): gives the RTT. */
  readonly pingIntervalMs?: number;
  /** An open link with no message from the peer this long is declared dead, ms (default 3 × pingIntervalMs). */
  readonly silenceTimeoutMs?: number;
  /** Largest data-channel message sent or accepted, bytes (default 256 KiB): bigger batches go by the server only. */
  readonly maxMessageBytes?: number;
}

export interface ResolvedP2P {
  readonly factory: PeerConnectionFactory;
  readonly iceServers: readonly IceServer[];
  readonly maxPeers: number;
  readonly connectTimeoutMs: number;
  readonly maxConcurrentOffers: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly maxAttempts: number;
  readonly pingIntervalMs: number;
  readonly silenceTimeoutMs: number;
  readonly maxMessageBytes: number;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`p2p.${name} must be a positive number, got ${String(v)}`);
  return v;
}

/**
 * The P2P settings, or undefined when peer-to-peer sync is off.
 * @throws TypeError when enabled without any peer-connection factory; RangeError on a bad number.
 */
export function resolveP2P(options: P2POptions | false | undefined): ResolvedP2P | undefined {
  if (options === false || options === undefined || options.enabled === false) return undefined;
  const o = options;
  const factory = o.peerConnection ?? nativePeerConnectionFactory();
  if (factory === undefined) throw new TypeError("p2p is on but there is no RTCPeerConnection here: pass p2p.peerConnection (in Node: weriftPeerConnection() from '@tandem/client/node')");
  const pingIntervalMs = positive('pingIntervalMs', o.pingIntervalMs, 2_000);
  const maxPeers = positive('maxPeers', o.maxPeers, 8);
  if (!Number.isInteger(maxPeers)) throw new RangeError(`p2p.maxPeers must be an integer, got ${maxPeers}`);
  return {
    factory,
    iceServers: o.iceServers ?? [],
    maxPeers,
    connectTimeoutMs: positive('connectTimeoutMs', o.connectTimeoutMs, 5_000),
    maxConcurrentOffers: positive('maxConcurrentOffers', o.maxConcurrentOffers, 2),
    retryBaseMs: positive('retryBaseMs', o.retryBaseMs, 2_000),
    retryMaxMs: positive('retryMaxMs', o.retryMaxMs, 30_000),
    maxAttempts: positive('maxAttempts', o.maxAttempts, 6),
    pingIntervalMs,
    silenceTimeoutMs: positive('silenceTimeoutMs', o.silenceTimeoutMs, pingIntervalMs * 3),
    maxMessageBytes: positive('maxMessageBytes', o.maxMessageBytes, 256 * 1024),
  };
}
