/**
 * The part of the WebSocket API the SDK uses, so browsers' built-in WebSocket and Node's `ws`
 * package both fit without an adapter. Listener parameters are declared loosely and as methods:
 * the two implementations type their event objects differently, and the SDK reads only `data`,
 * `code` and `reason` from them.
 */

export interface MessageEventLike {
  readonly data: unknown;
}

export interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
}

export interface WebSocketLike {
  readonly readyState: number;
  /** Bytes queued by `send` and not yet written to the network. */
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: MessageEventLike) => void): void;
  addEventListener(type: 'close', listener: (event: CloseEventLike) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
}

/** A WebSocket class: `globalThis.WebSocket` in browsers, `WebSocket` from the `ws` package in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** readyState of an open socket (the same in every implementation). */
export const WEBSOCKET_OPEN = 1;
/** readyState of a closed socket. */
export const WEBSOCKET_CLOSED = 3;

/**
 * Drops a socket at once. A socket found dead (half-open: no answers) would otherwise wait for a
 * close handshake that never comes; `ws` offers `terminate()` for that, browsers only `close()`.
 */
export function dropSocket(socket: WebSocketLike, code: number, reason: string): void {
  const terminate = (socket as { terminate?: unknown }).terminate;
  try {
    if (typeof terminate === 'function') (terminate as () => void).call(socket);
    else socket.close(code, reason);
  } catch {
    // Closing a socket that is still connecting can throw in some implementations; it is gone either way.
  }
}
