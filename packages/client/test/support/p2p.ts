/**
 * Peer-to-peer test support: a werift peer-connection factory (loopback only) whose data channels
 * a test can cut — `blackhole()` drops every frame both ways while the channels still look open
 * (a path that died silently), `closeAll()` closes them (a path that died loudly) — and the P2P
 * settings tests use (short ping and retry times, so faults are found within a test).
 */
import { weriftPeerConnection } from '../../src/node.js';
import type { DataChannelLike, P2POptions, PeerConnectionFactory, PeerConnectionLike } from '../../src/index.js';

export class CuttablePeers {
  private readonly inner = weriftPeerConnection({ loopbackOnly: true });
  private readonly channels = new Set<DataChannelLike>();
  private dropping = false;
  private readonly drops: { count: number; readonly match: (frame: string) => boolean }[] = [];

  /** Whether a frame being sent is to be lost. */
  private drop(frame: string): boolean {
    if (this.dropping) return true;
    const rule = this.drops.find((d) => d.count > 0 && d.match(frame));
    if (rule === undefined) return false;
    rule.count--;
    return true;
  }

  /** Frames are dropped both ways while true (channels stay open; new ones never open). */
  blackhole(on: boolean): void {
    this.dropping = on;
  }

  /** Drops the next `count` frames sent whose text `match` accepts (one lost message, not a dead path). */
  dropNext(count: number, match: (frame: string) => boolean): void {
    this.drops.push({ count, match });
  }

  /** Sends `frame` as is on every open channel (a peer sending garbage). */
  sendRaw(frame: string): number {
    let n = 0;
    for (const ch of this.channels) {
      if (ch.readyState !== 'open') continue;
      ch.send(frame);
      n++;
    }
    return n;
  }

  /** Closes every channel made so far. */
  closeAll(): void {
    for (const ch of this.channels) ch.close();
  }

  readonly factory: PeerConnectionFactory = (config) => {
    const pc = this.inner(config);
    return this.wrapConnection(pc);
  };

  private wrapConnection(pc: PeerConnectionLike): PeerConnectionLike {
    const wrapChannel = (ch: DataChannelLike): DataChannelLike => this.wrapChannel(ch);
    let onDataChannel: PeerConnectionLike['ondatachannel'] = null;
    return {
      get connectionState() {
        return pc.connectionState;
      },
      get localDescription() {
        return pc.localDescription;
      },
      createOffer: () => pc.createOffer(),
      createAnswer: () => pc.createAnswer(),
      setLocalDescription: (d) => pc.setLocalDescription(d),
      setRemoteDescription: (d) => pc.setRemoteDescription(d),
      addIceCandidate: (c) => pc.addIceCandidate(c),
      createDataChannel: (label, options) => wrapChannel(pc.createDataChannel(label, options)),
      close: () => pc.close(),
      get onicecandidate() {
        return pc.onicecandidate;
      },
      set onicecandidate(fn) {
        pc.onicecandidate = fn;
      },
      get onconnectionstatechange() {
        return pc.onconnectionstatechange;
      },
      set onconnectionstatechange(fn) {
        pc.onconnectionstatechange = fn;
      },
      get ondatachannel() {
        return onDataChannel;
      },
      set ondatachannel(fn) {
        onDataChannel = fn;
        pc.ondatachannel = fn === null || fn === undefined ? null : (event) => fn({ channel: wrapChannel(event.channel) });
      },
    };
  }

  private wrapChannel(ch: DataChannelLike): DataChannelLike {
    this.channels.add(ch);
    const self = this;
    let onMessage: DataChannelLike['onmessage'] = null;
    return {
      get readyState() {
        return self.dropping && ch.readyState === 'open' ? 'connecting' : ch.readyState;
      },
      get bufferedAmount() {
        return ch.bufferedAmount;
      },
      send(data) {
        if (!self.drop(data)) ch.send(data);
      },
      close: () => ch.close(),
      get onopen() {
        return ch.onopen;
      },
      set onopen(fn) {
        // A blackholed path never opens either.
        ch.onopen = fn === null || fn === undefined ? null : () => {
          if (!self.dropping) fn();
        };
      },
      get onclose() {
        return ch.onclose;
      },
      set onclose(fn) {
        ch.onclose = fn;
      },
      get onmessage() {
        return onMessage;
      },
      set onmessage(fn) {
        onMessage = fn;
        ch.onmessage = fn === null || fn === undefined ? null : (event) => {
          if (!self.dropping) fn(event);
        };
      },
    };
  }
}

/** P2P settings for tests: loopback werift, quick pings and retries. */
export function testP2P(factory: PeerConnectionFactory, overrides: Partial<P2POptions> = {}): P2POptions {
  return {
    peerConnection: factory,
    connectTimeoutMs: 8_000,
    pingIntervalMs: 200,
    silenceTimeoutMs: 1_000,
    retryBaseMs: 200,
    retryMaxMs: 1_000,
    ...overrides,
  };
}
