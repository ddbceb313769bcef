/**
 * The DocStore contract against PostgreSQL, in a schema made for this run and dropped after it,
 * plus PostgreSQL specifics: the schema name rules, refusal of a newer schema, both URL schemes.
 * The server is `TANDEM_TEST_POSTGRES_URL` or postgres://127.0.0.1:5432/test. If it cannot be
 * reached the suite is skipped with a visible message, except in CI (CI=true), where that fails:
 * a CI run that silently tested nothing would look green.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { docId } from '@tandem/core';
import { openStore, redactStoreUrl } from '../src/storage/open-store.js';
import { PostgresStore } from '../src/storage/postgres-store.js';
import { withDefaultPostgresUser } from '../src/storage/postgres-url.js';
import { runDocStoreContract } from './storage-contract.js';
import { textRun } from './support/storage-fixtures.js';

const url = process.env['TANDEM_TEST_POSTGRES_URL'] ?? 'postgres://127.0.0.1:5432/test';
// The probe and cleanup connect directly, so they fill in the user the way the store does.
const directUrl = withDefaultPostgresUser(url);
const runTag = `${process.pid}_${Math.floor(Math.random() * 36 ** 6).toString(36)}`;

/** Resolves undefined when the server answers, else the reason it could not be reached. */
async function unreachableReason(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: directUrl, connectionTimeoutMillis: 3000 });
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

/** Drops test schemas; their names are made here, so they are safe identifiers. */
async function dropSchemas(names: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: directUrl });
  await client.connect();
  try {
    for (const name of names) {
      assert.match(name, /^[a-z0-9_]+$/);
      await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    }
  } finally {
    await client.end();
  }
}

const reason = await unreachableReason();

if (reason !== undefined) {
  const message = `PostgreSQL at ${redactStoreUrl(url)} is unreachable (${reason}); set TANDEM_TEST_POSTGRES_URL to run these tests`;
  if (process.env['CI'] === 'true') {
    test('PostgreSQL is reachable (required in CI)', () => assert.fail(message));
  } else {
    console.warn(`\n[storage-postgres] SKIPPED: ${message}\n`);
    describe('DocStore contract: PostgreSQL', { skip: message }, () => undefined);
  }
} else {
  const contractSchema = `tandem_test_${runTag}`;
  runDocStoreContract('PostgreSQL', () => openStore(url, { schema: contractSchema }), () => dropSchemas([contractSchema]));

  describe('PostgresStore specifics', () => {
    const made: string[] = [];
    const schema = (label: string): string => {
      const name = `tandem_test_${runTag}_${label}`;
      made.push(name);
      return name;
    };
    after(() => dropSchemas(made));

    test('both postgres:// and postgresql:// URLs open a store', async () => {
      const name = schema('scheme');
      const a = await openStore(url, { schema: name });
      const b = await openStore(url.replace(/^postgres:/, 'postgresql:'), { schema: name });
      await a.appendEvents(docId('d'), textRun('x', 0, 1));
      assert.equal(await b.head(docId('d')), 1);
      await a.close();
      await b.close();
    });

    test('schema names that are not plain identifiers are refused before connecting', async () => {
      for (const bad of ['', 'Tandem', 'a-b', 'x"; DROP SCHEMA public; --', '1abc', 'a'.repeat(64)]) {
        await assert.rejects(PostgresStore.open(url, { schema: bad }), { code: 'ERR_INVALID_ARGUMENT' }, bad);
      }
    });

    test('a schema from a newer release is refused', async () => {
      const name = schema('future');
      await (await PostgresStore.open(url, { schema: name })).close();
      const client = new pg.Client({ connectionString: directUrl });
      await client.connect();
      await client.query(`UPDATE "${name}".schema_version SET version = 99`);
      await client.end();
      await assert.rejects(PostgresStore.open(url, { schema: name }), { code: 'ERR_STORE_CORRUPT' });
    });

    test('an unreachable server rejects open instead of hanging', async () => {
      await assert.rejects(PostgresStore.open('postgres://127.0.0.1:1/none', { connectionTimeoutMs: 2000 }));
    });
  });
}
