/**
 * Who is calling a REST endpoint, authenticated exactly as a WebSocket connection is: a JWT in the
 * `Authorization: Bearer` header or the `token` query parameter. In dev mode (no secret configured)
 * the caller names itself with the `X-Tandem-User` header or the `user` query parameter. A share
 * link token (`X-Tandem-Link` header or `link` query parameter) counts for the document in the path,
 * as it does when joining over the WebSocket.
 */
import type { IncomingMessage } from 'node:http';
import { AuthError, tokenFromRequest } from '../auth/index.js';
import type { Authenticator, Principal } from '../auth/index.js';

export interface Caller {
  readonly principal: Principal;
  /** The share-link token presented, if any. */
  readonly linkToken?: string;
}

/** A header's single value; a repeated header is ambiguous, so it counts as absent. */
function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** A query parameter given exactly once. */
function query(url: URL, name: string): string | undefined {
  const values = url.searchParams.getAll(name);
  return values.length === 1 && values[0] !== '' ? values[0] : undefined;
}

/** The caller, or an AuthError (401) saying why not. */
export async function authenticateCaller(authenticator: Authenticator, req: IncomingMessage, url: URL): Promise<Caller> {
  const devId = authenticator.mode === 'dev' ? (header(req, 'x-tandem-user') ?? query(url, 'user')) : undefined;
  if (authenticator.mode === 'dev' && devId === undefined) {
    throw new AuthError('dev_user', 'dev mode: name yourself with the X-Tandem-User header or the user query parameter');
  }
  const principal = await authenticator.authenticate(tokenFromRequest(req), devId !== undefined ? { id: devId } : undefined);
  const linkToken = header(req, 'x-tandem-link') ?? query(url, 'link');
  return linkToken !== undefined ? { principal, linkToken } : { principal };
}
