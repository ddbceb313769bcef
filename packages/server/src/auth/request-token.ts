/**
 * Finding the JWT in an HTTP request (a WebSocket upgrade or a REST call). Two places are read
 * here, in this order: the `Authorization: Bearer` header (what servers and native clients send),
 * then the `token` query parameter (browsers cannot set headers on a WebSocket). The third place,
 * the `hello` message's `token`, arrives after the upgrade and is the connection layer's to read;
 * it is the best choice for browsers, because URLs with tokens end up in proxy and access logs.
 */
import type { IncomingMessage } from 'node:http';

/**
 * `Bearer` is case-insensitive (RFC 7235 §2.1); the token is RFC 6750's b64token, which covers
 * every JWT. Anything else in the header (Basic credentials, garbage) is not ours to interpret.
 */
const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i;

/** The token the request carries, or undefined if it carries none. */
export function tokenFromRequest(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const token = BEARER.exec(header)?.[1];
    if (token !== undefined) return token;
  }
  return tokenFromQuery(req.url);
}

function tokenFromQuery(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const hash = url.indexOf('#', q);
  // Parsed on its own rather than with `new URL(url, host)`: the Host header is client input too.
  const values = new URLSearchParams(url.slice(q + 1, hash < 0 ? undefined : hash)).getAll('token');
  // Two tokens is ambiguous (proxies and frameworks disagree on which one wins): take neither.
  if (values.length !== 1) return undefined;
  const token = values[0];
  return token === undefined || token === '' ? undefined : token;
}
