/**
 * Fan-out of commits: every client but the submitter is told, in its mode, with the message's JSON
 * text encoded once per broadcast and shared by its clients (not re-encoded per client).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Doc, agentId, docId } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import type { SessionClient } from '../src/sync/document-session.js';
import { sendCommit } from '../src/sync/fanout.js';

interface Received {
  readonly message: ServerMessage;
  readonly encoded: string | undefined;
}

function client(id: string, mode: 'events' | 'ot', log: Map<string, Received[]>): SessionClient {
  const got: Received[] = [];
  log.set(id, got);
  return { connectionId: id, userId: `user-${id}`, mode, send: (message, encoded) => got.push({ message, encoded }) };
}

describe('fanout', () => {
  test('a commit is encoded once per message and reaches everyone but the submitter, in their mode', () => {
    const log = new Map<string, Received[]>();
    const clients = [client('a', 'events', log), client('b', 'events', log), client('c', 'events', log), client('o1', 'ot', log), client('o2', 'ot', log)];
    const d = new Doc({ agent: agentId('writer') });
    const events = [d.insert('body', 0, 'hi')!, d.insert('title', 0, 'T')!];
    const perText = new Map([
      ['body', [{ type: 'insert' as const, content: 'hi' }]],
      ['title', [{ type: 'insert' as const, content: 'T' }]],
    ]);
    sendCommit(clients, [clients[0]!], docId('doc'), 7, 'user-a', events, perText);
    assert.deepEqual(log.get('a'), [], 'the submitter learns of its commit from its ack');
    const b = log.get('b')!;
    const c = log.get('c')!;
    assert.equal(b.length, 1);
    assert.deepEqual(b[0]!.message, { type: 'remote_operation', docId: 'doc', version: 7, userId: 'user-a', events });
    assert.equal(b[0]!.encoded, JSON.stringify(b[0]!.message));
    assert.equal(c[0]!.message, b[0]!.message, 'one message object for all clients');
    assert.equal(c[0]!.encoded, b[0]!.encoded);
    for (const id of ['o1', 'o2']) {
      const got = log.get(id)!;
      assert.deepEqual(got.map((r) => r.message), [
        { type: 'remote_operation', docId: 'doc', version: 7, userId: 'user-a', text: 'body', operations: [{ type: 'insert', content: 'hi' }] },
        { type: 'remote_operation', docId: 'doc', version: 7, userId: 'user-a', text: 'title', operations: [{ type: 'insert', content: 'T' }] },
      ]);
      for (const r of got) assert.equal(r.encoded, JSON.stringify(r.message));
    }
  });

  test('a commit with only its submitter present sends nothing', () => {
    const log = new Map<string, Received[]>();
    const only = client('a', 'events', log);
    const d = new Doc({ agent: agentId('writer') });
    sendCommit([only], [only], docId('doc'), 1, 'user-a', [d.insert('body', 0, 'x')!], new Map([['body', [{ type: 'insert' as const, content: 'x' }]]]));
    assert.deepEqual(log.get('a'), []);
  });
});
