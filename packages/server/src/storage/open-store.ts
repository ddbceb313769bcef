/**
 * Opens a DocStore from a storage URL, the one setting an operator gives: `sqlite:PATH` (folders
 * created as needed), `sqlite::memory:` (a private, throwaway database), or
 * `postgres://…` / `postgresql://…`. Anything else is refused with the URL in the message, so a
 * typo in configuration fails at startup instead of silently storing somewhere unexpected.
 */
import type { DocStore } from './doc-store.js';
import { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import { StoreError, StoreErrorCode } from './store-error.js';

export interface OpenStoreOptions extends SqliteStoreOptions, PostgresStoreOptions {}

/** The URL with any password replaced, so it can appear in errors and logs. */
export function redactStoreUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@');
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<DocStore> {
  if (typeof url !== 'string') {
    throw new StoreError(StoreErrorCode.UnsupportedUrl, `storage URL must be a string, got ${typeof url}`);
  }
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path.length === 0) {
      throw new StoreError(StoreErrorCode.UnsupportedUrl, `storage URL "${url}" names no file; use sqlite:PATH or sqlite::memory:`);
    }
    const sqliteOptions: SqliteStoreOptions = options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs };
    return SqliteStore.open(path, sqliteOptions);
  }
  if (/^postgres(ql)?:\/\//i.test(url)) return PostgresStore.open(url, options);
  throw new StoreError(
    StoreErrorCode.UnsupportedUrl,
    `unsupported storage URL "${redactStoreUrl(url)}": use sqlite:PATH, sqlite::memory: or postgres://…`,
  );
}
