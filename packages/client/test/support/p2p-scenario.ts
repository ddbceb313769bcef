/**
 * Helpers of the peer-to-peer tests: a group of P2P clients on one document, waiting for their
 * mesh, seeded random edits, and the server's error counter (MISSING_PARENTS must stay 0: a client
 * never sends an event before the server has its parents, even when a peer delivered them first).
 */
import type { TandemClient, TandemDocument } from '../../src/index.js';
import type { Rng } from './random.js';
import type { TestServer } from './test-server.js';
import { waitUntil } from './wait.js';

/** Waits until every client has an open link to every other (a full mesh). */
export async function waitForMesh(clients: readonly TandemClient[], timeoutMs = 30_000): Promise<void> {
  const want = clients.length - 1;
  await waitUntil(`a full mesh of ${clients.length}`, () => clients.every((c) => c.metrics.p2p.peers.filter((p) => p.transport === 'p2p').length === want), {
    timeoutMs,
    describe: () => clients.map((c) => c.metrics.p2p.peers.map((p) => `${p.userId}:${p.state}${p.lastError !== undefined ? `(${p.lastError})` : ''}`).join(',')).join(' | '),
  });
}

/** One random edit: mostly inserts of `token`, sometimes a deletion (when `deletes`). */
export function randomEdit(rng: Rng, doc: TandemDocument, token: string, deletes: boolean): void {
  const text = doc.text();
  const len = text.length;
  if (deletes && len > 4 && rng.bool(0.25)) {
    const at = rng.int(len - 1);
    text.delete(at, 1 + rng.int(Math.min(3, len - at)));
    return;
  }
  text.insert(rng.int(len + 1), token);
}

/** How many errors of `code` the server has sent to clients. */
export async function serverErrors(server: TestServer, code: string): Promise<number> {
  const metric = await server.server.services.metrics.errors.get();
  return metric.values.filter((v) => v.labels['code'] === code).reduce((n, v) => n + v.value, 0);
}

/** Waits until every document has the same text as the first and the server. */
export async function waitConverged(server: TestServer, docId: string, docs: readonly TandemDocument[], timeoutMs = 30_000): Promise<string> {
  await Promise.all(docs.map((d) => d.whenSynced(timeoutMs)));
  let serverText = '';
  await waitUntil(
    'every replica equal to the server',
    () => {
      void server.text(docId).then((t) => (serverText = t.text));
      return docs.every((d) => d.text().toString() === serverText);
    },
    { timeoutMs, describe: () => JSON.stringify({ server: serverText, replicas: docs.map((d) => d.text().toString()) }) },
  );
  return serverText;
}
