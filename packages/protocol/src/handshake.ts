/**
 * Connection setup: where a client connects, how it may present its token, how long it has to say
 * `hello`, and how the protocol version is chosen (the highest version both sides speak).
 */
import { PROTOCOL_VERSIONS, type ProtocolVersion } from './messages.js';

/** The one WebSocket endpoint; all documents and rooms share the connection. */
export const WEBSOCKET_PATH = '/ws';
/** HTTP fallback (planned): server → client messages as server-sent events. */
export const SSE_PATH = '/sse';
/** HTTP fallback (planned): client → server messages, one per POST. */
export const RPC_PATH = '/rpc';
/** Query parameter that may carry the bearer token when a header cannot be set (browsers' WebSocket API). */
export const TOKEN_QUERY_PARAM = 'token';

/** The newest protocol version this build speaks. */
export const CURRENT_PROTOCOL_VERSION: ProtocolVersion = Math.max(...PROTOCOL_VERSIONS) as ProtocolVersion;

/**
 * How long a connection may stay without a valid `hello` before it is closed with 1008. Bounds
 * what an unauthenticated peer can hold on the server.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Default `welcome.heartbeatMs`: clients send something (a `ping` if nothing else) at least this
 * often; a connection silent for twice this long is closed.
 */
export const DEFAULT_HEARTBEAT_MS = 30_000;

/**
 * The version to speak with a client that offered `clientVersions` (the `hello.protocols` list,
 * in any order): the highest one this build also speaks, or undefined when there is none, in
 * which case the server answers UNSUPPORTED_PROTOCOL and closes the connection with 1008.
 */
export function negotiateProtocol(clientVersions: readonly number[]): ProtocolVersion | undefined {
  let best: ProtocolVersion | undefined;
  for (const v of PROTOCOL_VERSIONS) {
    if (clientVersions.includes(v) && (best === undefined || v > best)) best = v;
  }
  return best;
}
