/**
 * The version-history scenarios (history-scenarios.ts) on PostgreSQL, in a schema of their own that
 * is dropped afterwards. Skipped visibly when the database is unreachable, except in CI (CI=true),
 * where that fails.
 */
import { runHistoryScenarios } from './history-scenarios.js';
import { requirePostgres, startPostgresTestServer } from './support/postgres.js';

if (await requirePostgres('history-postgres')) {
  runHistoryScenarios('PostgreSQL', (overrides) => startPostgresTestServer(overrides));
}
