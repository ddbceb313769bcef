/**
 * The replay state a replica keeps between merges (ReplayCache): seeded random runs of replicas that
 * edit continuously and exchange batches of every shape (single events, several senders at once,
 * out of order and buffered, duplicated, long-offline replicas coming back, undo, failing batches),
 * each replica checked against a fresh replica that merges the same events without kept state and
 * against the reference oracle.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Doc } from '../src/index.js';
import type { Event } from '../src/event.js';
import { CoreErrorCode, isTandemError } from '../src/errors.js';
import { agentId } from '../src/ids.js';
import { opFromPatch } from '../src/text-op.js';
import { oracleText } from './support/oracle.js';
import { Rng, testSeed, withSeed } from './support/random.js';
import { boundaries } from './support/simulation.js';

const TEXTS = ['a', 'a', 'a', 'b'];

interface Replica {
  readonly doc: Doc;
  /** Per sender: how many of its events this replica has been sent. */
  readonly sent: number[];
  /** Steps left during which this replica receives nothing (offline). */
  offline: number;
}

/**
 * A fresh replica merging everything `doc` holds, in one batch. With `keep` false it keeps no state
 * between the groups of concurrent events (slow on long concurrent histories: each group replays from
 * the last critical version).
 */
function freshMerge(doc: Doc, keep: boolean): Doc {
  const fresh = new Doc({ agent: 'checker', mergeStateLimit: keep ? undefined : 0 });
  fresh.receive(doc.events());
  return fresh;
}

function assertSameAsFresh(doc: Doc, context: string, keep = false): void {
  const fresh = freshMerge(doc, keep);
  for (const name of new Set([...doc.textNames(), ...fresh.textNames()])) {
    assert.equal(doc.getText(name), fresh.getText(name), `${context}: ${doc.agent}'s text ${name} differs from a fresh merge of its events`);
  }
}

function assertSameAsOracle(doc: Doc, context: string): void {
  const events = doc.events();
  for (const name of doc.textNames()) assert.equal(doc.getText(name), oracleText(events, name), `${context}: ${doc.agent}'s text ${name} differs from the oracle`);
}

/** A random local edit: mostly typing and deleting, sometimes a map write or an undo. */
function localEdit(rng: Rng, doc: Doc): Event | undefined {
  if (rng.bool(0.03) && doc.canUndo) return doc.undo();
  if (rng.bool(0.03)) return doc.setKey('m', rng.pick(['x', 'y']), rng.int(100));
  const name = rng.pick(TEXTS);
  const text = doc.getText(name);
  const cuts = boundaries(text);
  const at = rng.int(cuts.length);
  const pos = cuts[at]!;
  if (text.length > 0 && rng.bool(0.3)) {
    const end = cuts[Math.min(cuts.length - 1, at + rng.range(1, 4))]!;
    if (end > pos) return doc.editText(name, opFromPatch(pos, end - pos, rng.bool(0.3) ? rng.text(1) : ''));
  }
  return doc.insert(name, pos, rng.text(rng.range(1, 4)));
}

/** An event of an unknown agent at `doc`'s version that deletes past the end of text 'a'. */
function badEvent(doc: Doc): Event {
  return {
    id: { agent: agentId('zz-bad'), seq: 0 },
    parents: doc.version,
    change: { type: 'text', name: 'a', op: [{ type: 'delete', length: doc.textLength('a') + 5 }] },
  };
}

/**
 * One run: `agents` replicas, each step one replica edits or receives a batch from the relay.
 * Returns the number of events made.
 */
function runRelay(rng: Rng, agents: number, steps: number): number {
  const limits = [undefined, 0, 4, 64];
  const replicas: Replica[] = [];
  const made: Event[][] = [];
  for (let i = 0; i < agents; i++) {
    const doc = new Doc({ agent: `r${i}`, mergeStateLimit: rng.pick(limits) });
    // Every event a replica makes (an undo can make several), in order.
    const own: Event[] = [];
    doc.subscribe((_changes, origin, events) => {
      if (origin !== 'remote') own.push(...events);
    });
    replicas.push({ doc, sent: new Array<number>(agents).fill(0), offline: 0 });
    made.push(own);
  }
  for (let step = 0; step < steps; step++) {
    const i = rng.int(agents);
    const r = replicas[i]!;
    if (rng.bool(0.45)) {
      localEdit(rng, r.doc);
      continue;
    }
    if (r.offline > 0) {
      r.offline--;
      continue;
    }
    if (rng.bool(0.02)) r.offline = rng.range(10, 60);
    // A batch: from one or several senders, each a random number of their next events.
    const batch: Event[] = [];
    const senders = rng.bool(0.5) ? [rng.int(agents)] : rng.shuffle([...Array(agents).keys()]).slice(0, rng.range(1, agents));
    for (const j of senders) {
      if (j === i) continue;
      const have = r.sent[j]!;
      const left = made[j]!.length - have;
      if (left <= 0) continue;
      const n = rng.bool(0.7) ? Math.min(left, rng.range(1, 3)) : rng.range(1, left);
      batch.push(...made[j]!.slice(have, have + n));
      r.sent[j] = have + n;
      // Now and then an old event again: a duplicate.
      if (have > 0 && rng.bool(0.1)) batch.push(made[j]![rng.int(have)]!);
    }
    if (batch.length === 0) continue;
    if (rng.bool(0.2)) rng.shuffle(batch);
    if (rng.bool(0.03)) {
      // A batch that fails after its good events were replayed: nothing may change.
      const before = { a: r.doc.getText('a'), b: r.doc.getText('b'), count: r.doc.eventCount };
      const probe = new Doc({ agent: 'probe', mergeStateLimit: 0 });
      probe.receive([...r.doc.events(), ...batch], { buffer: true });
      try {
        r.doc.receive([...batch, badEvent(probe)], { buffer: true });
        assert.fail('a delete past the end of the text was accepted');
      } catch (err) {
        if (!isTandemError(err)) throw err;
        assert.ok(err.code === CoreErrorCode.BaseLengthMismatch || err.code === CoreErrorCode.MissingParents, `unexpected error ${err.code}`);
      }
      assert.deepEqual({ a: r.doc.getText('a'), b: r.doc.getText('b'), count: r.doc.eventCount }, before, 'a failed batch changed the replica');
    }
    r.doc.receive(batch, { buffer: true });
    if (rng.bool(0.1)) assertSameAsFresh(r.doc, `step ${step}`);
  }
  // Everyone gets everything, in one batch each; all agree, with a fresh merge and with the oracle.
  const all = made.flat();
  for (const r of replicas) r.doc.receive(rng.shuffle([...all]), { buffer: true });
  const first = replicas[0]!.doc;
  for (const r of replicas) {
    assert.equal(r.doc.pendingCount, 0, `${r.doc.agent} still holds events back`);
    for (const name of ['a', 'b']) assert.equal(r.doc.getText(name), first.getText(name), `${r.doc.agent} and ${first.agent} differ on ${name}`);
  }
  assertSameAsFresh(first, 'end');
  assertSameAsOracle(first, 'end');
  return all.length;
}

describe('kept replay state', () => {
  test('replicas editing continuously match a fresh merge and the oracle (seeded)', () => {
    const base = testSeed();
    let events = 0;
    for (let run = 0; run < 60; run++) {
      const seed = (base + run * 0x9e3779b1) >>> 0;
      events += withSeed(`relay run ${run}`, (rng) => runRelay(rng, rng.range(2, 6), rng.range(50, 400)), seed);
    }
    assert.ok(events > 0);
  });

  test('long-running replicas with events always in flight match a fresh merge and the oracle', () => {
    withSeed('long replica', (rng) => {
      const agents = 5;
      const docs = Array.from({ length: agents }, (_, i) => new Doc({ agent: `p${i}` }));
      /** Events in flight per receiver, delivered a few steps late, as over a relay. */
      const inFlight: { at: number; event: Event }[][] = docs.map(() => []);
      for (let t = 0; t < 1500; t++) {
        for (let i = 0; i < agents; i++) {
          const due = inFlight[i]!.filter((m) => m.at <= t);
          if (due.length > 0) {
            inFlight[i] = inFlight[i]!.filter((m) => m.at > t);
            docs[i]!.receive(due.map((m) => m.event), { buffer: true });
          }
          if (rng.bool(0.15)) {
            const d = docs[i]!;
            const len = d.textLength('a');
            const e = len > 20 && rng.bool(0.25) ? d.delete('a', rng.int(len - 3), rng.range(1, 3)) : d.insert('a', rng.int(len + 1), rng.pick(['x', 'yz', 'abc']));
            for (let j = 0; j < agents; j++) if (j !== i && e !== undefined) inFlight[j]!.push({ at: t + rng.range(2, 12), event: e });
          }
        }
        if (t % 300 === 299) for (const d of docs) assertSameAsFresh(d, `t=${t}`, true);
      }
      for (let i = 0; i < agents; i++) docs[i]!.receive(inFlight[i]!.map((m) => m.event), { buffer: true });
      for (const d of docs) assert.equal(d.getText('a'), docs[0]!.getText('a'));
      assertSameAsOracle(docs[0]!, 'end');
    });
  });

  test('mergeStateLimit must be a non-negative integer', () => {
    assert.throws(() => new Doc({ agent: 'x', mergeStateLimit: -1 }), /non-negative integer, got -1/);
    assert.throws(() => new Doc({ agent: 'x', mergeStateLimit: 1.5 }), /non-negative integer, got 1.5/);
  });
});
