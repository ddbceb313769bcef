/**
 * The version-history scenarios (history-scenarios.ts) on SQLite in a temporary folder.
 */
import { runHistoryScenarios } from './history-scenarios.js';
import { startTestServer } from './support/test-server.js';

runHistoryScenarios('SQLite', (overrides) => startTestServer(overrides));
