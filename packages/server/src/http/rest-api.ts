/**
 * The REST API as one HTTP handler: it takes every request under /api/, matches it against the
 * document, history and sharing routes, authenticates the caller, runs the route and answers JSON.
 * Every failure, from a bad path to a storage error, becomes `{ error: { code, message } }` with its
 * HTTP status (see http-error.ts); unexpected ones are logged and answered as a bare 500.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpHandler, ServerServices } from '../server.js';
import { docRoutes } from './doc-routes.js';
import { historyRoutes } from './history-routes.js';
import { HttpError, toHttpError } from './http-error.js';
import { readJsonBody } from './json-body.js';
import { authenticateCaller } from './rest-caller.js';
import { matchPattern, pathSegments } from './route-table.js';
import type { Route, RouteResult } from './route-table.js';
import { sharingRoutes } from './sharing-routes.js';

const PREFIX = '/api/';

function send(res: ServerResponse, result: RouteResult): void {
  const headers: Record<string, string | number> = { 'cache-control': 'no-store', ...result.headers };
  if (result.body === undefined) {
    res.writeHead(result.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(result.body);
  res.writeHead(result.status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The route for the request, or an HttpError: 404 for an unknown path, 405 for a known path and wrong method. */
function findRoute(routes: readonly Route[], method: string, segments: readonly string[], pathname: string): { route: Route; params: Record<string, string> } {
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchPattern(route.pattern, segments);
    if (params === undefined) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  if (allowed.length > 0) {
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${pathname}; allowed: ${allowed.join(', ')}`, { allowed });
  }
  throw new HttpError(404, 'NOT_FOUND', `no route for ${method} ${pathname}`);
}

export function restApi(services: ServerServices): HttpHandler {
  const routes: readonly Route[] = [...docRoutes(services), ...historyRoutes(services), ...sharingRoutes(services)];
  const maxBodyBytes = services.config.limits.maxBodyBytes;

  async function handle(req: IncomingMessage, url: URL): Promise<RouteResult> {
    const method = req.method ?? 'GET';
    const { route, params } = findRoute(routes, method, pathSegments(url.pathname), url.pathname);
    const caller = await authenticateCaller(services.authenticator, req, url);
    return route.handle({ req, url, params, caller, body: (optional = false) => readJsonBody(req, maxBodyBytes, optional) });
  }

  return async (req, res, url) => {
    if (!url.pathname.startsWith(PREFIX) && url.pathname !== '/api') return false;
    let result: RouteResult;
    try {
      result = await handle(req, url);
    } catch (err) {
      const { error, internal } = toHttpError(err);
      if (internal) services.logger.error({ err, method: req.method, url: url.pathname }, 'REST request failed');
      const headers: Record<string, string> = {};
      // An unread body must not be taken for the next request on a kept-alive connection.
      if (error.status === 413) headers['connection'] = 'close';
      if (error.status === 405) headers['allow'] = (error.details['allowed'] as string[]).join(', ');
      const { allowed: _allowed, ...details } = error.details;
      result = { status: error.status, body: { error: { code: error.code, message: error.message, ...details } }, headers };
    }
    if (!res.headersSent) send(res, result);
    return true;
  };
}
