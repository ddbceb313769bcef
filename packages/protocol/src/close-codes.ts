/**
 * The WebSocket close codes a Tandem server uses, and what a client should do on each. Standard
 * codes (RFC 6455 §7.4.1) where one fits, so proxies and browser tooling report them sensibly;
 * 4000–4999 (the private-use range) for reasons the standard has no code for.
 */
export const CloseCode = {
  /** 1000: closed on purpose (client asked, or the server is done with it). Do not reconnect automatically. */
  Normal: 1000,
  /** 1001: the server is shutting down or restarting. Reconnect with backoff and resume with `since`. */
  GoingAway: 1001,
  /**
   * 1008: policy violation: no valid `hello` within the handshake timeout, no protocol version in
   * common, authentication failed at the handshake, or a refused `Origin`. Do not retry unchanged.
   */
  PolicyViolation: 1008,
  /** 1009: a frame exceeded the maximum message size (see `welcome.limits.maxMessageBytes`). Send smaller batches. */
  MessageTooBig: 1009,
  /** 1011: the server hit an unexpected condition. Reconnect with backoff. */
  InternalError: 1011,
  /** 1013: try again later: the server is overloaded or its storage is unavailable. Reconnect with backoff. */
  TryAgainLater: 1013,
  /** 4001: the token expired or was revoked during the connection. Obtain a new token, then reconnect. */
  Unauthenticated: 4001,
  /** 4003: access was withdrawn from everything this connection used. Do not reconnect without new access. */
  PermissionDenied: 4003,
  /** 4008: the client kept exceeding the rate limit after RATE_LIMITED errors. Reconnect after a pause, then send less. */
  RateLimited: 4008,
  /**
   * 4009: slow consumer: the client did not read fast enough and the server's send buffer for it
   * passed its bound. Reconnect and resume with `since`; nothing acknowledged is lost.
   */
  SlowConsumer: 4009,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** True for close codes after which an automatic reconnect (with backoff) is the right response. */
export function shouldReconnect(code: number): boolean {
  return (
    code === CloseCode.GoingAway ||
    code === CloseCode.InternalError ||
    code === CloseCode.TryAgainLater ||
    code === CloseCode.RateLimited ||
    code === CloseCode.SlowConsumer ||
    // 1006: the connection dropped without a close frame (network loss); never sent, only observed.
    code === 1006
  );
}
