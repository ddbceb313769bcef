/**
 * The server's integration scenarios (support/sync-scenarios.ts) against SQLite: real WebSockets,
 * port 0, a fresh database file per server.
 */
import { runSyncScenarios } from './support/sync-scenarios.js';
import { startTestServer } from './support/test-server.js';

runSyncScenarios('SQLite', (overrides) => startTestServer(overrides));
