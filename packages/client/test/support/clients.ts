/**
 * Client factory for tests: Node's `ws` as the WebSocket, dev-mode identity, fast heartbeats and
 * short backoff so faults are found and repaired within a test's time, a seeded jitter source,
 * and no tab channel unless the test passes one.
 */
import WebSocket from 'ws';
import { TandemClient } from '../../src/index.js';
import type { ClientOptions } from '../../src/index.js';

export function makeClient(url: string, userId: string, overrides: Partial<ClientOptions> = {}): TandemClient {
  return new TandemClient({
    url,
    WebSocket,
    devUser: { id: userId, name: userId },
    tabs: false,
    network: false,
    heartbeatMs: 200,
    heartbeatTimeoutMs: 800,
    connectTimeoutMs: 2_000,
    backoff: { baseMs: 50, capMs: 500 },
    retryDelayMs: 100,
    ackTimeoutMs: 3_000,
    ...overrides,
  });
}
