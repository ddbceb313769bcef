/**
 * The slice of the WebRTC API the peer-to-peer layer uses, so the same code runs on the browser's
 * native RTCPeerConnection and on a Node implementation (werift, see `@tandem/client/node`)
 * without importing either: whoever creates the client injects a PeerConnectionFactory.
 */

/** An ICE server (STUN or TURN), as in the WebRTC `RTCIceServer` dictionary. */
export interface IceServer {
  readonly urls: string | readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

export interface SessionDescriptionLike {
  readonly type: 'offer' | 'answer' | 'pranswer' | 'rollback';
  readonly sdp?: string;
}

export interface IceCandidateLike {
  readonly candidate: string;
  readonly sdpMid?: string | null;
  readonly sdpMLineIndex?: number | null;
}

/** One message channel over a peer connection (ordered, reliable). */
export interface DataChannelLike {
  readonly readyState: string;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(): void;
  onopen: (() => void) | null | undefined;
  onclose: (() => void) | null | undefined;
  onmessage: ((event: { readonly data: unknown }) => void) | null | undefined;
}

export interface PeerConnectionLike {
  readonly connectionState: string;
  readonly localDescription: SessionDescriptionLike | null | undefined;
  createOffer(): Promise<SessionDescriptionLike>;
  createAnswer(): Promise<SessionDescriptionLike>;
  setLocalDescription(description: SessionDescriptionLike): Promise<unknown>;
  setRemoteDescription(description: SessionDescriptionLike): Promise<unknown>;
  addIceCandidate(candidate: IceCandidateLike): Promise<unknown>;
  createDataChannel(label: string, options?: { readonly ordered?: boolean }): DataChannelLike;
  close(): unknown;
  onicecandidate: ((event: { readonly candidate: IceCandidateLike | null | undefined }) => void) | null | undefined;
  ondatachannel: ((event: { readonly channel: DataChannelLike }) => void) | null | undefined;
  onconnectionstatechange: (() => void) | null | undefined;
}

/** Makes a peer connection with these ICE servers. */
export type PeerConnectionFactory = (config: { readonly iceServers: readonly IceServer[] }) => PeerConnectionLike;

/** The browser's RTCPeerConnection as a factory, or undefined where there is none (Node). */
export function nativePeerConnectionFactory(): PeerConnectionFactory | undefined {
  const Ctor = (globalThis as { RTCPeerConnection?: new (config: { iceServers: IceServer[] }) => PeerConnectionLike }).RTCPeerConnection;
  if (typeof Ctor !== 'function') return undefined;
  return (config) => new Ctor({ iceServers: [...config.iceServers] });
}
