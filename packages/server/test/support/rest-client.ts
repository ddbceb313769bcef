/**
 * A REST client for integration tests: JSON requests to a running test server as a dev-mode user
 * (the X-Tandem-User header), answers parsed, nothing thrown for error statuses so tests can check
 * them. Bodies can also be sent raw (bad JSON, oversized payloads).
 */

export interface RestAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** The error object of an error answer. */
export interface RestErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly [extra: string]: unknown };
}

export interface CallOptions {
  /** Sent as is instead of JSON-encoding `body`. */
  readonly raw?: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

export class RestClient {
  constructor(
    readonly base: string,
    readonly user: string | undefined,
  ) {}

  /** A client for another user of the same server. */
  as(user: string | undefined): RestClient {
    return new RestClient(this.base, user);
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<RestAnswer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.user !== undefined) headers['x-tandem-user'] = this.user;
    let payload: string | Uint8Array | undefined = options.raw;
    if (payload === undefined && body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${this.base}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    return { status: res.status, body: (text.length > 0 ? JSON.parse(text) : undefined) as T, headers: res.headers };
  }

  get<T = Record<string, unknown>>(path: string, options?: CallOptions): Promise<RestAnswer<T>> {
    return this.call<T>('GET', path, undefined, options);
  }

  post<T = Record<string, unknown>>(path: string, body?: unknown, options?: CallOptions): Promise<RestAnswer<T>> {
    return this.call<T>('POST', path, body, options);
  }

  put<T = Record<string, unknown>>(path: string, body?: unknown, options?: CallOptions): Promise<RestAnswer<T>> {
    return this.call<T>('PUT', path, body, options);
  }

  delete<T = Record<string, unknown>>(path: string, options?: CallOptions): Promise<RestAnswer<T>> {
    return this.call<T>('DELETE', path, undefined, options);
  }
}

/** The path of a document's resource, with the id percent-encoded as one segment. */
export function docPath(id: string, rest = ''): string {
  return `/api/docs/${encodeURIComponent(id)}${rest}`;
}
