/**
 * A small router for the REST API: routes are a method and a path pattern ("/api/docs/:id/links/:token");
 * a request path is split into segments, each URL-decoded on its own (so a document id may contain
 * "/" as %2F, and "__proto__" is an id like any other), and matched segment by segment. Parameters
 * land in a prototype-free object.
 */
import type { IncomingMessage } from 'node:http';
import type { Caller } from './rest-caller.js';
import { badRequest } from './http-error.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a route handler sees of the request. */
export interface RouteRequest {
  readonly req: IncomingMessage;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  readonly caller: Caller;
  /** The JSON body, read within the size limit; undefined for an empty optional body. */
  body(optional?: boolean): Promise<unknown>;
}

/** What a handler answers: a status and a JSON body (none for 204), plus headers. */
export interface RouteResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Route {
  readonly method: Method;
  readonly pattern: string;
  readonly handle: (request: RouteRequest) => Promise<RouteResult>;
}

/** A request path's segments, URL-decoded; a trailing slash is ignored. */
export function pathSegments(pathname: string): string[] {
  const raw = pathname.split('/').slice(1);
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
  return raw.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw badRequest(`path segment ${JSON.stringify(s.slice(0, 60))} is not valid percent-encoding`);
    }
  });
}

/** The parameters if the segments match the pattern, else undefined. */
export function matchPattern(pattern: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params = Object.create(null) as Record<string, string>;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const seg = segments[i]!;
    if (part.startsWith(':')) {
      if (seg.length === 0) return undefined;
      params[part.slice(1)] = seg;
    } else if (part !== seg) {
      return undefined;
    }
  }
  return params;
}
