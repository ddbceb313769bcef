/**
 * Real editing traces (josephg/editing-traces, CC BY 4.0): sequential traces replayed as local edits,
 * and the concurrent `friendsforever` trace delivered to fresh replicas in several orders and chunkings,
 * must all reproduce the recorded final text. The oracle is checked against the concurrent trace too.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Doc } from '../src/index.js';
import type { Event } from '../src/event.js';
import { agentId } from '../src/ids.js';
import { opFromPatches } from '../src/text-op.js';
import { concurrentTraceToEvents, sequentialTraceToEvents } from '../src/trace-import.js';
import { oracleText } from './support/oracle.js';
import { withSeed } from './support/random.js';
import { shuffleTopological } from './support/simulation.js';
import { loadTrace, tracesDir, type ConcurrentTrace, type SequentialTrace } from './support/traces.js';

/** False (and the test skipped) when the traces folder is missing; on CI that is a failure. */
function haveTraces(t: TestContext): boolean {
  if (tracesDir() !== undefined) return true;
  if (process.env['CI'] === 'true') assert.fail('editing traces not found (set TANDEM_TRACES)');
  t.skip('traces not found');
  return false;
}

function replayLocally(trace: SequentialTrace): Doc {
  const doc = new Doc({ agent: agentId('typist') });
  for (const txn of trace.txns) doc.editText('text', opFromPatches(txn.patches));
  return doc;
}

/** A fresh replica that receives `events` in order, in batches of `chunkSizes()` events (one batch by default). */
function receiveAll(events: readonly Event[], chunkSizes: () => number = () => events.length): Doc {
  const doc = new Doc({ agent: agentId('reader') });
  for (let i = 0; i < events.length; ) {
    const n = Math.max(1, chunkSizes());
    doc.receive(events.slice(i, i + n));
    i += n;
  }
  return doc;
}

describe('sequential traces replayed as local edits', () => {
  for (const name of ['automerge-paper', 'seph-blog1', 'friendsforever_flat']) {
    test(name, (t) => {
      if (!haveTraces(t)) return;
      const trace = loadTrace<SequentialTrace>(`sequential_traces/${name}.json.gz`);
      const doc = replayLocally(trace);
      assert.equal(doc.getText('text'), trace.endContent);
      assert.equal(doc.events().length, trace.txns.length);
      // The same history, imported as events and received by a fresh replica.
      const fresh = receiveAll(sequentialTraceToEvents(trace, { agentName: () => 'typist' }));
      assert.equal(fresh.getText('text'), trace.endContent);
      assert.deepStrictEqual(fresh.version, doc.version);
    });
  }
});

describe('concurrent trace friendsforever', () => {
  let cached: { trace: ConcurrentTrace; events: Event[] } | undefined;
  const load = (): { trace: ConcurrentTrace; events: Event[] } => {
    if (cached === undefined) {
      const trace = loadTrace<ConcurrentTrace>('concurrent_traces/friendsforever.json.gz');
      cached = { trace, events: concurrentTraceToEvents(trace) };
    }
    return cached;
  };

  test('the oracle reproduces endContent', (t) => {
    if (!haveTraces(t)) return;
    const { trace, events } = load();
    assert.equal(oracleText(events, 'text'), trace.endContent);
  });

  test('received in trace order, in other topological orders and in chunks', (t) => {
    if (!haveTraces(t)) return;
    const { trace, events } = load();
    const inOrder = receiveAll(events);
    assert.equal(inOrder.getText('text'), trace.endContent, 'trace order, one batch');
    assert.equal(inOrder.events().length, events.length);

    withSeed('friendsforever delivery orders', (rng) => {
      // Random topological order: concurrent branches interleave arbitrarily.
      const shuffled = shuffleTopological(rng, events);
      const a = receiveAll(shuffled);
      assert.equal(a.getText('text'), trace.endContent, 'random topological order');
      // Agent-major order: agent-1 events are delivered as early as possible, so long branches of one
      // agent arrive before the concurrent work of the other.
      const agentMajor = shuffleTopological(rng, events, (ready) => Math.max(0, ready.findIndex((e) => e.id.agent === 'agent-1')));
      const b = receiveAll(agentMajor);
      assert.equal(b.getText('text'), trace.endContent, 'agent-major order');
      assert.deepStrictEqual(b.version, a.version, 'same version whatever the order');
      assert.deepStrictEqual(a.version, inOrder.version);
      // Chunks of random size, in trace order and in the random order.
      assert.equal(receiveAll(events, () => rng.range(1, 500)).getText('text'), trace.endContent, 'trace order in chunks');
      assert.equal(receiveAll(shuffled, () => rng.range(1, 50)).getText('text'), trace.endContent, 'random order in chunks');
    });
  });

  test('buffered delivery of a shuffled stream', (t) => {
    if (!haveTraces(t)) return;
    const { trace, events } = load();
    withSeed('friendsforever buffered', (rng) => {
      // Locally shuffled windows: events often arrive before their parents and must wait.
      const stream = [...events];
      for (let i = 0; i < stream.length; i += 64) {
        const window = rng.shuffle(stream.slice(i, i + 64));
        stream.splice(i, window.length, ...window);
      }
      const doc = new Doc({ agent: agentId('reader'), maxPending: 1_000 });
      let pending = 0;
      for (let i = 0; i < stream.length; i += 100) pending = doc.receive(stream.slice(i, i + 100), { buffer: true }).pending;
      assert.equal(pending, 0);
      assert.equal(doc.getText('text'), trace.endContent);
    });
  });
});
