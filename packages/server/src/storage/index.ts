/**
 * The storage layer's public face for the rest of the server: the DocStore interface, its two
 * implementations, the URL opener and the storage errors.
 */
export * from './doc-store.js';
export { openStore, redactStoreUrl, type OpenStoreOptions } from './open-store.js';
export { SqliteStore, DEFAULT_BUSY_TIMEOUT_MS, type SqliteStoreOptions } from './sqlite-store.js';
export { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { DEFAULT_POSTGRES_SCHEMA } from './postgres-schema.js';
export { StoreError, StoreErrorCode, isStoreError } from './store-error.js';
export { withDefaultPostgresUser } from './postgres-url.js';
