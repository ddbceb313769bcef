/**
 * Joining a document nobody created yet creates it, owned by the first visitor. Two connections
 * joining a new document at once race to create it; the loser must read its level again rather
 * than be refused (two tabs of one user opening a new document together were told PERMISSION_DENIED
 * once document creation went through the SQLite writer thread). A different user still gets no
 * access to a document someone else just created.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerMessage } from '@tandem/protocol';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';

type Answer = Extract<ServerMessage, { type: 'session_joined' | 'error' }>;

async function joinTogether(url: string, users: readonly string[], docId: string): Promise<Answer[]> {
  const clients = await Promise.all(users.map((u) => TestClient.hello(url, u)));
  try {
    for (const c of clients) c.send({ type: 'join_session', docId });
    return await Promise.all(clients.map((c) => c.next<Answer>((m) => m.type === 'session_joined' || m.type === 'error', 10_000)));
  } finally {
    for (const c of clients) c.close();
  }
}

describe('joins racing to create a document', () => {
  test('connections of one user joining a new document at once are all its owner', async () => {
    const srv = await startTestServer();
    try {
      for (let round = 0; round < 20; round++) {
        const answers = await joinTogether(srv.url, ['alice', 'alice', 'alice'], `new-doc-${round}`);
        for (const a of answers) {
          assert.equal(a.type, 'session_joined', `round ${round}: ${JSON.stringify(a)}`);
          if (a.type === 'session_joined') assert.equal(a.level, 'owner');
        }
      }
    } finally {
      await srv.stop();
    }
  });

  test('of two users joining a new document at once, one owns it and the other is refused', async () => {
    const srv = await startTestServer();
    try {
      for (let round = 0; round < 10; round++) {
        const answers = await joinTogether(srv.url, ['alice', 'bob'], `contested-${round}`);
        const joined = answers.filter((a) => a.type === 'session_joined');
        const refused = answers.filter((a) => a.type === 'error');
        assert.equal(joined.length, 1, `round ${round}: ${JSON.stringify(answers)}`);
        assert.equal(refused.length, 1);
        assert.equal(refused[0]!.type === 'error' ? refused[0]!.code : '', 'PERMISSION_DENIED');
      }
    } finally {
      await srv.stop();
    }
  });
});
