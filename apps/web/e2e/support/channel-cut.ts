/**
 * A switch that cuts the page's WebRTC data channels, installed before the app loads
 * (`context.addInitScript(installChannelCut, blocked)`): it wraps the real RTCPeerConnection's
 * data channels, and while `window.tandemCut.blocked` is true every frame either way is silently
 * dropped (the path died: the SDK only finds out when the peer goes silent) and channels that had
 * not opened yet never appear to open (the path cannot be set up). Everything else is the browser's
 * own WebRTC. `window.tandemCut.dropped` counts the frames it swallowed, so a test can tell the cut
 * really hit live traffic.
 */

/** What the page exposes as `window.tandemCut`. */
export interface ChannelCut {
  blocked: boolean;
  /** Frames dropped, both directions. */
  dropped: number;
  /** Data channels wrapped so far. */
  channels: number;
}

declare global {
  interface Window {
    tandemCut?: ChannelCut;
  }
}

/**
 * Runs in the page (serialized by playwright: it must not use anything from this module's scope).
 * @param blocked whether the cut is on from the start
 */
export function installChannelCut(blocked: boolean): void {
  const cut: ChannelCut = { blocked, dropped: 0, channels: 0 };
  window.tandemCut = cut;
  const channelProto = RTCDataChannel.prototype;
  const nativeSend = channelProto.send as (this: RTCDataChannel, data: string) => void;
  const readyState = Object.getOwnPropertyDescriptor(channelProto, 'readyState');
  const onmessage = Object.getOwnPropertyDescriptor(channelProto, 'onmessage');
  const onopen = Object.getOwnPropertyDescriptor(channelProto, 'onopen');
  if (readyState?.get === undefined || onmessage?.set === undefined || onmessage.get === undefined || onopen?.set === undefined || onopen.get === undefined) {
    throw new Error('RTCDataChannel has no readyState / onmessage / onopen accessors to wrap');
  }
  const getState = readyState.get;
  const setMessage = onmessage.set;
  const getMessage = onmessage.get;
  const setOpen = onopen.set;
  const getOpen = onopen.get;
  const wrapped = new WeakSet<RTCDataChannel>();

  const wrap = (ch: RTCDataChannel): RTCDataChannel => {
    if (wrapped.has(ch)) return ch;
    wrapped.add(ch);
    cut.channels++;
    // Whether the app has seen this channel open (before the cut): such a channel stays "open", silently dead.
    let seenOpen = false;
    const state = (): RTCDataChannelState => {
      const s = getState.call(ch) as RTCDataChannelState;
      if (s !== 'open') return s;
      if (!cut.blocked) seenOpen = true;
      return seenOpen ? 'open' : 'connecting';
    };
    Object.defineProperty(ch, 'readyState', { configurable: true, get: state });
    Object.defineProperty(ch, 'send', {
      configurable: true,
      value: (data: string): void => {
        if (cut.blocked) {
          cut.dropped++;
          return;
        }
        nativeSend.call(ch, data);
      },
    });
    Object.defineProperty(ch, 'onmessage', {
      configurable: true,
      get: () => getMessage.call(ch) as unknown,
      set: (handler: ((event: MessageEvent) => void) | null) => {
        setMessage.call(
          ch,
          typeof handler !== 'function'
            ? null
            : (event: MessageEvent) => {
                if (cut.blocked) {
                  cut.dropped++;
                  return;
                }
                handler.call(ch, event);
              },
        );
      },
    });
    Object.defineProperty(ch, 'onopen', {
      configurable: true,
      get: () => getOpen.call(ch) as unknown,
      set: (handler: ((event: Event) => void) | null) => {
        setOpen.call(
          ch,
          typeof handler !== 'function'
            ? null
            : (event: Event) => {
                if (cut.blocked && !seenOpen) return;
                seenOpen = true;
                handler.call(ch, event);
              },
        );
      },
    });
    return ch;
  };

  const pcProto = RTCPeerConnection.prototype;
  const nativeCreate = pcProto.createDataChannel;
  pcProto.createDataChannel = function (this: RTCPeerConnection, label: string, init?: RTCDataChannelInit): RTCDataChannel {
    return wrap(nativeCreate.call(this, label, init));
  };
  const ondatachannel = Object.getOwnPropertyDescriptor(pcProto, 'ondatachannel');
  if (ondatachannel?.set === undefined || ondatachannel.get === undefined) throw new Error('RTCPeerConnection has no ondatachannel accessor to wrap');
  const setDc = ondatachannel.set;
  const getDc = ondatachannel.get;
  Object.defineProperty(pcProto, 'ondatachannel', {
    configurable: true,
    get(this: RTCPeerConnection) {
      return getDc.call(this) as unknown;
    },
    set(this: RTCPeerConnection, handler: ((event: { channel: RTCDataChannel }) => void) | null) {
      setDc.call(this, typeof handler !== 'function' ? null : (event: RTCDataChannelEvent) => handler.call(this, { channel: wrap(event.channel) }));
    },
  });
}
