/**
 * The Node peer-connection factory: werift's RTCPeerConnection (pure TypeScript, no native
 * build), which implements the standard API subset PeerConnectionLike names. Only
 * `@tandem/client/node` exports it, so browser bundles never pull werift in.
 */
import { RTCPeerConnection } from 'werift';
import type { PeerConnectionFactory, PeerConnectionLike } from './peer-connection.js';

export interface WeriftPeerConnectionOptions {
  /**
   * Gather and pair only 127.0.0.1 candidates: peers on one machine (tests, benchmarks) then
   * never send a packet off the loopback interface. Default false.
   */
  readonly loopbackOnly?: boolean;
}

/** A PeerConnectionFactory backed by werift, for `p2p.peerConnection` in Node. */
export function weriftPeerConnection(options: WeriftPeerConnectionOptions = {}): PeerConnectionFactory {
  return (config) => {
    const pc = new RTCPeerConnection({
      // Always explicit: werift's own default would reach out to a public STUN server.
      iceServers: config.iceServers.map((s) => ({
        urls: typeof s.urls === 'string' ? s.urls : [...s.urls],
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.credential !== undefined ? { credential: s.credential } : {}),
      })),
      ...(options.loopbackOnly === true
        ? {
            iceUseIpv6: false,
            iceAdditionalHostAddresses: ['127.0.0.1'],
            iceFilterCandidatePair: (pair: { readonly remoteCandidate: { readonly host: string } }) => pair.remoteCandidate.host === '127.0.0.1',
          }
        : {}),
    });
    if (!config.iceServers.some((s) => (typeof s.urls === 'string' ? [s.urls] : s.urls).some((u) => /^stuns?:/i.test(u)))) withoutDefaultStun(pc);
    // werift implements the standard members PeerConnectionLike lists; its own typings are wider.
    return pc as unknown as PeerConnectionLike;
  };
}

/**
 * werift's ICE agent falls back to a public STUN server (stun.l.google.com) when none is
 * configured, and waits up to 5 s for it while gathering candidates: a DNS lookup and a packet to
 * the internet the caller never asked for, and on a network without one, a 5 s stall of
 * setLocalDescription that made link setup miss its deadline. With no STUN server configured,
 * each ICE agent this connection creates gets none.
 */
function withoutDefaultStun(pc: object): void {
  type IceAgent = { stunServer?: unknown };
  type Transport = { iceTransport?: { connection?: IceAgent } };
  const target = pc as { findOrCreateTransport?: (...args: unknown[]) => Transport };
  const original = target.findOrCreateTransport;
  if (typeof original !== 'function') throw new Error('this werift version has no findOrCreateTransport: its default STUN server cannot be turned off');
  target.findOrCreateTransport = function (this: unknown, ...args: unknown[]): Transport {
    const transport = original.apply(this, args);
    const agent = transport.iceTransport?.connection;
    if (agent !== undefined) agent.stunServer = undefined;
    return transport;
  };
}
