/**
 * The REST API as the app uses it (see docs/rest-api.md): typed calls for documents, history and
 * sharing, authenticated like the WebSocket (a bearer token, or `X-Tandem-User` on a dev-mode
 * server), with a share-link token when the document was opened through a link. Failures become
 * `ApiError` with the server's stable code and readable message, or `NETWORK` when the server
 * could not be reached at all (offline, or down).
 */
import type { Session } from './session.js';

export type Level = 'owner' | 'editor' | 'commenter' | 'viewer';

export interface DocSummary {
  readonly id: string;
  readonly owner: string;
  readonly createdAt: number;
  readonly level: Level;
}

export type Revision =
  | { readonly kind: 'named'; readonly version: number; readonly name: string; readonly createdBy: string; readonly createdAt: number }
  | { readonly kind: 'checkpoint'; readonly version: number; readonly createdAt: number; readonly authors: readonly string[] };

export interface Revisions {
  readonly id: string;
  readonly version: number;
  readonly revisions: readonly Revision[];
}

export type DiffSegment =
  | { readonly kind: 'equal'; readonly text: string }
  | { readonly kind: 'insert' | 'delete'; readonly text: string; readonly authors: readonly string[] };

export interface Diff {
  readonly from: number;
  readonly to: number;
  readonly segments: readonly DiffSegment[];
}

export interface Grant {
  readonly user: string;
  readonly level: Level;
}

export interface ShareLink {
  readonly token: string;
  readonly doc: string;
  readonly level: Level;
  readonly expiresAt: number | null;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly revoked: boolean;
  readonly revokedAt: number | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The server could not be reached (offline or down), as opposed to refusing the request. */
  get unreachable(): boolean {
    return this.code === 'NETWORK';
  }
}

export class Api {
  constructor(
    private readonly session: Session,
    private readonly base = '',
  ) {}

  listDocs(): Promise<{ documents: DocSummary[] }> {
    return this.call('GET', '/api/docs');
  }

  createDoc(id?: string): Promise<{ id: string; version: number; level: Level }> {
    return this.call('POST', '/api/docs', id === undefined ? {} : { id });
  }

  revisions(docId: string, link?: string): Promise<Revisions> {
    return this.call('GET', `${docPath(docId)}/revisions`, undefined, link);
  }

  nameVersion(docId: string, name: string, version?: number, link?: string): Promise<Revision> {
    return this.call('POST', `${docPath(docId)}/versions`, version === undefined ? { name } : { name, version }, link);
  }

  textAt(docId: string, version: number, link?: string): Promise<{ version: number; text: string }> {
    return this.call('GET', `${docPath(docId)}/versions/${version}`, undefined, link);
  }

  diff(docId: string, from: number, to: number, link?: string): Promise<Diff> {
    return this.call('GET', `${docPath(docId)}/diff?from=${from}&to=${to}`, undefined, link);
  }

  restore(docId: string, version: number, link?: string): Promise<{ version: number; changed: boolean }> {
    return this.call('POST', `${docPath(docId)}/restore`, { version }, link);
  }

  collaborators(docId: string, link?: string): Promise<{ collaborators: Grant[] }> {
    return this.call('GET', `${docPath(docId)}/collaborators`, undefined, link);
  }

  grant(docId: string, user: string, level: Level): Promise<Grant> {
    return this.call('PUT', `${docPath(docId)}/collaborators/${encodeURIComponent(user)}`, { level });
  }

  revokeGrant(docId: string, user: string): Promise<void> {
    return this.call('DELETE', `${docPath(docId)}/collaborators/${encodeURIComponent(user)}`);
  }

  links(docId: string): Promise<{ links: ShareLink[] }> {
    return this.call('GET', `${docPath(docId)}/links`);
  }

  createLink(docId: string, level: Level, expiresAt: number | null): Promise<ShareLink> {
    return this.call('POST', `${docPath(docId)}/links`, { level, expiresAt });
  }

  revokeLink(docId: string, token: string): Promise<void> {
    return this.call('DELETE', `${docPath(docId)}/links/${encodeURIComponent(token)}`);
  }

  private async call<T>(method: string, path: string, body?: unknown, link?: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.session.kind === 'jwt') headers['authorization'] = `Bearer ${this.session.token}`;
    else headers['x-tandem-user'] = this.session.userId;
    if (link !== undefined) headers['x-tandem-link'] = link;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The server cannot be reached. You may be offline.');
    }
    if (response.status === 204) return undefined as T;
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch {
      throw new ApiError(response.status, 'BAD_RESPONSE', `The server answered ${response.status} without JSON.`);
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
      throw new ApiError(response.status, typeof error?.code === 'string' ? error.code : 'HTTP_ERROR', typeof error?.message === 'string' ? error.message : `Request failed (${response.status}).`);
    }
    return parsed as T;
  }
}

function docPath(docId: string): string {
  return `/api/docs/${encodeURIComponent(docId)}`;
}

/** A message for the user from anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
