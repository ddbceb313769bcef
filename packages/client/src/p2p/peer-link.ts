/**
 * PeerLink owns one attempt at a direct link with one peer: an RTCPeerConnection and its single
 * ordered data channel, the offer / answer / ICE exchange (carried by the caller through the
 * server), the setup deadline, and the liveness of the open channel (pings give the RTT; a peer
 * silent for too long is declared gone). It ends exactly once, as 'failed' (never opened, or
 * died) or 'closed' (closed on purpose, or by the peer); a new attempt is a new PeerLink.
 */
import type { LatencyWindow } from '../metrics/latency-window.js';
import { Timer } from '../util/timer.js';
import type { ResolvedP2P } from './p2p-options.js';
import type { DataChannelLike, IceCandidateLike, PeerConnectionLike } from './peer-connection.js';
import { encodeMessage, parseMessage, type PeerMessage, type PeerSignal } from './peer-wire.js';

export type LinkState = 'connecting' | 'open' | 'failed' | 'closed';

/** What a link needs from its mesh. */
export interface LinkHooks {
  /** Sends a signal to the peer through the server. */
  signal(signal: PeerSignal): void;
  /** A well-formed message from the peer. */
  message(message: PeerMessage): void;
  /** A frame from the peer that was not a valid message (dropped). */
  invalid(): void;
  opened(): void;
  /** The link ended (only once). */
  ended(state: 'failed' | 'closed', reason: string): void;
}

/** Bytes queued on a channel beyond which sends go by the server only (the link is congested). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Frames kept from a peer whose end opened before ours. */
const MAX_EARLY_FRAMES = 64;

export class PeerLink {
  private readonly pc: PeerConnectionLike;
  private channel: DataChannelLike | undefined;
  private current: LinkState = 'connecting';
  private remoteSet = false;
  private readonly earlyCandidates: IceCandidateLike[] = [];
  /** Our candidates gathered before our offer or answer went out. */
  private readonly localCandidates: IceCandidateLike[] = [];
  private described = false;
  /** Frames that arrived before our end of the channel opened. */
  private readonly early: unknown[] = [];
  private readonly setupTimer = new Timer();
  private readonly pingTimer = new Timer();
  private readonly silenceTimer = new Timer();
  private readonly startedAt: number;
  /** ms from start to open, once open. */
  setupMs: number | undefined;
  messagesIn = 0;
  messagesOut = 0;

  constructor(
    /** Names this attempt in signals. */
    readonly id: string,
    readonly role: 'offerer' | 'answerer',
    private readonly settings: ResolvedP2P,
    private readonly hooks: LinkHooks,
    private readonly monotonic: () => number,
    /** Where RTT samples go (the peer's window, kept across links). */
    private readonly rtt: LatencyWindow,
  ) {
    this.startedAt = monotonic();
    this.pc = settings.factory({ iceServers: settings.iceServers });
    this.pc.onicecandidate = (event) => {
      const c = event.candidate;
      if (c === null || c === undefined || c.candidate === '' || this.current !== 'connecting') return;
      // Gathering starts inside setLocalDescription, before the offer is sent: a candidate that
      // overtook its offer would reach a peer with no link to add it to.
      if (this.described) this.hooks.signal({ kind: 'candidate', link: this.id, candidate: c });
      else this.localCandidates.push(c);
    };
    this.pc.onconnectionstatechange = () => {
      const s = this.pc.connectionState;
      if (s === 'failed' || s === 'closed') this.end('failed', `peer connection ${s}`);
    };
    this.setupTimer.set(settings.connectTimeoutMs, () =>
      this.end('failed', `not open within ${settings.connectTimeoutMs} ms (peer connection ${this.pc.connectionState}, ${this.remoteSet ? 'remote description set' : 'no remote description'}, channel ${this.channel?.readyState ?? 'none'})`),
    );
    if (role === 'offerer') {
      this.attach(this.pc.createDataChannel('tandem', { ordered: true }));
      void this.offer();
    } else {
      this.pc.ondatachannel = (event) => this.attach(event.channel);
    }
  }

  get state(): LinkState {
    return this.current;
  }

  /** Answerer: the peer's offer. */
  async acceptOffer(sdp: string): Promise<void> {
    await this.step('answer', async () => {
      await this.pc.setRemoteDescription({ type: 'offer', sdp });
      await this.remoteReady();
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      const local = this.pc.localDescription ?? answer;
      if (local.sdp === undefined) throw new Error('the answer has no SDP');
      if (this.current === 'connecting') this.hooks.signal({ kind: 'answer', link: this.id, sdp: local.sdp });
      this.flushLocalCandidates();
    });
  }

  /** Offerer: the peer's answer. */
  async acceptAnswer(sdp: string): Promise<void> {
    if (this.role !== 'offerer' || this.remoteSet) return;
    await this.step('accept answer', async () => {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
      await this.remoteReady();
    });
  }

  /** A remote ICE candidate (kept until the remote description is set). */
  async addCandidate(candidate: IceCandidateLike): Promise<void> {
    if (this.current !== 'connecting') return;
    if (!this.remoteSet) {
      if (this.earlyCandidates.length < 64) this.earlyCandidates.push(candidate);
      return;
    }
    try {
      await this.pc.addIceCandidate(candidate);
    } catch {
      // One unusable candidate is not fatal: others may work, and the deadline covers the rest.
    }
  }

  /** Sends `message` if the link is open and not congested; false when it must go another way. */
  send(message: PeerMessage): boolean {
    const ch = this.channel;
    if (this.current !== 'open' || ch === undefined || ch.readyState !== 'open') return false;
    const text = encodeMessage(message);
    if (text.length > this.settings.maxMessageBytes || ch.bufferedAmount > MAX_BUFFERED_BYTES) return false;
    try {
      ch.send(text);
    } catch {
      this.end('failed', 'send failed');
      return false;
    }
    this.messagesOut++;
    return true;
  }

  /** Ends the link on purpose. */
  close(reason = 'closed'): void {
    this.end('closed', reason);
  }

  private async offer(): Promise<void> {
    await this.step('offer', async () => {
      const offer = await this.pc.createOffer();
      await this.pc.setLocalDescription(offer);
      const local = this.pc.localDescription ?? offer;
      if (local.sdp === undefined) throw new Error('the offer has no SDP');
      if (this.current === 'connecting') this.hooks.signal({ kind: 'offer', link: this.id, sdp: local.sdp });
      this.flushLocalCandidates();
    });
  }

  private flushLocalCandidates(): void {
    this.described = true;
    for (const c of this.localCandidates.splice(0)) if (this.current === 'connecting') this.hooks.signal({ kind: 'candidate', link: this.id, candidate: c });
  }

  private async remoteReady(): Promise<void> {
    this.remoteSet = true;
    const early = this.earlyCandidates.splice(0);
    for (const c of early) await this.addCandidate(c);
  }

  /** Runs one negotiation step; a failure ends the link (a bad SDP from the peer never throws out). */
  private async step(name: string, run: () => Promise<void>): Promise<void> {
    if (this.current !== 'connecting') return;
    try {
      await run();
    } catch (err) {
      this.end('failed', `${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private attach(channel: DataChannelLike): void {
    if (this.channel !== undefined) {
      // One channel per link: a second one from the peer is not ours to use.
      channel.close();
      return;
    }
    this.channel = channel;
    channel.onopen = () => this.onOpen();
    channel.onclose = () => this.end(this.current === 'open' ? 'closed' : 'failed', 'data channel closed');
    channel.onmessage = (event) => this.onFrame(event.data);
    if (channel.readyState === 'open') this.onOpen();
  }

  private onOpen(): void {
    if (this.current !== 'connecting') return;
    this.current = 'open';
    this.setupTimer.clear();
    this.setupMs = this.monotonic() - this.startedAt;
    this.heard();
    this.ping();
    this.hooks.opened();
    for (const frame of this.early.splice(0)) this.onFrame(frame);
  }

  private onFrame(frame: unknown): void {
    if (this.current === 'connecting') {
      // A frame can beat our end's open event: keep it until then (our replies could not go yet).
      if (this.channel?.readyState === 'open') this.onOpen();
      else if (this.early.length < MAX_EARLY_FRAMES) this.early.push(frame);
      if (this.current === 'connecting') return;
    }
    if (this.current !== 'open') return;
    this.heard();
    const message = parseMessage(frame, this.settings.maxMessageBytes);
    if (message === undefined) {
      this.hooks.invalid();
      return;
    }
    this.messagesIn++;
    if (message.k === 'ping') {
      this.send({ k: 'pong', t: message.t });
      return;
    }
    if (message.k === 'pong') {
      const rtt = this.monotonic() - message.t;
      // Only our own pings come back: a pong with a time we never sent is noise.
      if (rtt >= 0 && rtt < this.settings.silenceTimeoutMs * 10) this.rtt.record(rtt);
      return;
    }
    this.hooks.message(message);
  }

  private heard(): void {
    this.silenceTimer.set(this.settings.silenceTimeoutMs, () => this.end('failed', `peer silent for ${this.settings.silenceTimeoutMs} ms`));
  }

  private ping(): void {
    if (this.current !== 'open') return;
    this.send({ k: 'ping', t: this.monotonic() });
    this.pingTimer.set(this.settings.pingIntervalMs, () => this.ping());
  }

  private end(state: 'failed' | 'closed', reason: string): void {
    if (this.current === 'failed' || this.current === 'closed') return;
    this.current = state;
    this.setupTimer.clear();
    this.pingTimer.clear();
    this.silenceTimer.clear();
    const ch = this.channel;
    if (ch !== undefined) {
      ch.onopen = null;
      ch.onclose = null;
      ch.onmessage = null;
      try {
        ch.close();
      } catch {
        // Already closing.
      }
    }
    this.pc.onicecandidate = null;
    this.pc.onconnectionstatechange = null;
    this.pc.ondatachannel = null;
    try {
      void Promise.resolve(this.pc.close()).catch(() => undefined);
    } catch {
      // Closing a connection that failed to set up may throw; it is gone either way.
    }
    this.hooks.ended(state, reason);
  }
}
