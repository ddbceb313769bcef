/**
 * The parents limit over a real socket: an event naming one parent per concurrent writer is
 * accepted well past the old wire cap of 64 (the bench's 1 doc × 100 clients row was refused at 72
 * parents), and the limit is a server setting (`limits.maxParents`) whose breach is a clear error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Doc, agentId } from '@tandem/core';
import type { Event } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { DEFAULT_LIMITS, parseConfig } from '../src/config.js';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/** `writers` concurrent one-event writers, and a replica that merged them all making one more event. */
function concurrentWriters(writers: number): { concurrent: Event[]; merged: Event } {
  const concurrent: Event[] = [];
  for (let w = 0; w < writers; w++) concurrent.push(new Doc({ agent: agentId(`writer-${w}`) }).insert('body', 0, `${w};`)!);
  const replica = new Doc({ agent: agentId('merger') });
  replica.receive(concurrent);
  const merged = replica.insert('body', 0, '!')!;
  assert.equal(merged.parents.length, writers);
  return { concurrent, merged };
}

async function submit(url: string, docId: string, batches: readonly (readonly Event[])[]): Promise<(Of<'operation_ack'> | Of<'error'>)[]> {
  const c = await TestClient.hello(url, 'alice');
  try {
    c.send({ type: 'join_session', docId });
    await c.next((m) => m.type === 'session_joined');
    const answers: (Of<'operation_ack'> | Of<'error'>)[] = [];
    for (const [i, events] of batches.entries()) {
      c.send({ type: 'operation', docId, operationId: `op-${i}`, events });
      answers.push(await c.next<Of<'operation_ack'> | Of<'error'>>((m) => m.type === 'operation_ack' || m.type === 'error', 10_000));
    }
    return answers;
  } finally {
    c.close();
  }
}

describe('parents per event', () => {
  test('the default accepts an event with 100 parents (one per concurrent writer), as the sync core does', async () => {
    assert.equal(DEFAULT_LIMITS.maxParents, 4096);
    const srv = await startTestServer();
    try {
      const { concurrent, merged } = concurrentWriters(100);
      const [first, second] = await submit(srv.url, 'many-writers', [concurrent, [merged]]);
      assert.equal(first!.type, 'operation_ack', JSON.stringify(first));
      assert.equal(second!.type, 'operation_ack', JSON.stringify(second));
      assert.equal((second as Of<'operation_ack'>).version, 101);
    } finally {
      await srv.stop();
    }
  });

  test('limits.maxParents is configurable (--max-parents) and a breach names the count and the limit', async () => {
    const fromFlag = parseConfig(['--max-parents', '16'], {});
    const fromEnv = parseConfig([], { TANDEM_MAX_PARENTS: '32' });
    assert.ok(fromFlag !== 'help' && fromEnv !== 'help');
    assert.equal(fromFlag.limits.maxParents, 16);
    assert.equal(fromEnv.limits.maxParents, 32);
    assert.throws(() => parseConfig(['--max-parents', '0'], {}), /--max-parents must be at least 1/);
    const srv = await startTestServer({ limits: { maxParents: 16 } });
    try {
      const { concurrent, merged } = concurrentWriters(17);
      const [first, second] = await submit(srv.url, 'capped', [concurrent, [merged]]);
      assert.equal(first!.type, 'operation_ack', JSON.stringify(first));
      assert.equal(second!.type, 'error');
      const err = second as Of<'error'>;
      assert.equal(err.code, 'INVALID_OPERATION');
      assert.match(err.message, /event\.parents has 17 parents, more than the limit of 16/);
      assert.equal(err.ref, 'op-1');
    } finally {
      await srv.stop();
    }
  });
});
