/**
 * PostgreSQL for the server-level tests: the URL (`TANDEM_TEST_POSTGRES_URL`, else
 * postgres://127.0.0.1:5432/test), a reachability probe, unique schema names per run, schema
 * cleanup, and the rule for an unreachable database: skip visibly, except in CI (CI=true), where
 * the suite fails instead, because a CI run that silently tested nothing would look green.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { redactStoreUrl } from '../../src/storage/open-store.js';
import { withDefaultPostgresUser } from '../../src/storage/postgres-url.js';
import type { defaultConfig, CreateServerOptions } from '../../src/index.js';
import { startTestServer } from './test-server.js';
import type { RunningServer } from './test-server.js';

export const POSTGRES_URL = process.env['TANDEM_TEST_POSTGRES_URL'] ?? 'postgres://127.0.0.1:5432/test';
const directUrl = withDefaultPostgresUser(POSTGRES_URL);
const runTag = `${process.pid}_${Math.floor(Math.random() * 36 ** 6).toString(36)}`;
let schemaCounter = 0;

/** A schema name no other test or run uses (a plain identifier, safe to put into SQL). */
export function uniqueSchema(label: string): string {
  schemaCounter += 1;
  const name = `tandem_srv_${label}_${runTag}_${schemaCounter}`;
  assert.match(name, /^[a-z_][a-z0-9_]{0,62}$/, 'test schema names must be plain identifiers');
  return name;
}

/** Resolves undefined when the database answers, else why it could not be reached. */
export async function postgresUnreachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: directUrl, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Probes the database once. When it is unreachable, registers a visible skip (or, in CI, a failing
 * test) under `suite` and resolves false; the caller then registers nothing else.
 */
export async function requirePostgres(suite: string): Promise<boolean> {
  const reason = await postgresUnreachable();
  if (reason === undefined) return true;
  const message = `PostgreSQL at ${redactStoreUrl(POSTGRES_URL)} is unreachable (${reason}); set TANDEM_TEST_POSTGRES_URL to run ${suite}`;
  if (process.env['CI'] === 'true') {
    test(`${suite}: PostgreSQL is reachable (required in CI)`, () => assert.fail(message));
  } else {
    console.warn(`\n[${suite}] SKIPPED: ${message}\n`);
    test(`${suite} (PostgreSQL)`, { skip: message }, () => undefined);
  }
  return false;
}

/** Drops schemas made by uniqueSchema. */
export async function dropSchemas(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const client = new pg.Client({ connectionString: directUrl });
  await client.connect();
  try {
    for (const name of names) {
      assert.match(name, /^tandem_srv_[a-z0-9_]+$/);
      await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    }
  } finally {
    await client.end();
  }
}

/** How many schemas with this prefix exist (to check that cleanup happened). */
export async function countSchemas(prefix: string): Promise<number> {
  const client = new pg.Client({ connectionString: directUrl });
  await client.connect();
  try {
    const r = await client.query<{ n: string }>('SELECT count(*) AS n FROM information_schema.schemata WHERE starts_with(schema_name, $1)', [prefix]);
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** startTestServer on PostgreSQL in a fresh schema, which `stop()` drops. */
export async function startPostgresTestServer(
  overrides: Parameters<typeof defaultConfig>[0] = {},
  options: CreateServerOptions = {},
): Promise<RunningServer> {
  const schema = uniqueSchema('sync');
  let running: RunningServer;
  try {
    running = await startTestServer({ ...overrides, storage: POSTGRES_URL, storageSchema: schema }, options);
  } catch (e) {
    await dropSchemas([schema]);
    throw e;
  }
  return {
    ...running,
    stop: async () => {
      try {
        await running.stop();
      } finally {
        await dropSchemas([schema]);
      }
    },
  };
}
