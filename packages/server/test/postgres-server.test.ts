/**
 * The server's integration scenarios (support/sync-scenarios.ts) against PostgreSQL: every server
 * gets its own schema, dropped when it stops; the run checks that none is left behind. Skipped
 * visibly when the database is unreachable, except in CI (CI=true), where that fails.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { countSchemas, requirePostgres, startPostgresTestServer, uniqueSchema } from './support/postgres.js';
import { runSyncScenarios } from './support/sync-scenarios.js';

if (await requirePostgres('postgres-server')) {
  runSyncScenarios('PostgreSQL', (overrides) => startPostgresTestServer(overrides));

  test('the PostgreSQL server is really what the scenarios ran against', async () => {
    const srv = await startPostgresTestServer();
    try {
      assert.equal(srv.server.services.store.constructor.name, 'PostgresStore');
    } finally {
      await srv.stop();
    }
  });

  after(async () => {
    // Every schema this process made starts with the same prefix; all must be gone.
    const prefix = uniqueSchema('sync').replace(/_\d+$/, '_');
    assert.equal(await countSchemas(prefix), 0, `schemas ${prefix}* left behind`);
  });
}
