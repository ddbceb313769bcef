/**
 * Convergence: the reference oracle proven on hand-made cases, then many seeded multi-replica histories
 * of real `Doc`s (partial, reordered, duplicated and buffered syncs) that must agree with each other and
 * with the oracle, plus the no-interleaving and merge-symmetry properties.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Doc } from '../src/index.js';
import type { Event, JsonValue } from '../src/event.js';
import { agentId, compareEventIds, eventIdToString, type EventId } from '../src/ids.js';
import { apply, opFromPatches, transform } from '../src/text-op.js';
import { oracleMap, oracleText } from './support/oracle.js';
import { Rng, testSeed, withSeed } from './support/random.js';
import { boundaries, frontierOf, historySeed, runHistory, shuffleTopological } from './support/simulation.js';

type Ref = readonly [agent: string, seq: number];

function id([agent, seq]: Ref): EventId {
  return { agent: agentId(agent), seq };
}

/** A text event on 'text' made at `parents`, with splice patches against the text there. */
function textEvent(ref: Ref, parents: readonly Ref[], patches: readonly (readonly [number, number, string])[]): Event {
  return { id: id(ref), parents: parents.map(id).sort(compareEventIds), change: { type: 'text', name: 'text', op: opFromPatches(patches) } };
}

/** A run of single-character events typing `s` at `pos`, each the child of the previous. */
function typeRun(agent: string, firstSeq: number, parents: readonly Ref[], pos: number, s: string): Event[] {
  return [...s].map((ch, i) => textEvent([agent, firstSeq + i], i === 0 ? parents : [[agent, firstSeq + i - 1]], [[pos + i, 0, ch]]));
}

/** The oracle's text, checked to be the same for several processing orders of the events. */
function merged(events: readonly Event[], rng = new Rng(1)): string {
  const text = oracleText(events, 'text');
  assert.equal(oracleText([...events].reverse(), 'text'), text, 'oracle result depends on input order');
  for (let i = 0; i < 3; i++) assert.equal(oracleText(shuffleTopological(rng, events), 'text'), text, 'oracle result depends on topological order');
  return text;
}

describe('oracle (reference list CRDT)', () => {
  test('linear history is plain application', () => {
    const base = textEvent(['a', 0], [], [[0, 0, 'hello world']]);
    const e1 = textEvent(['a', 1], [['a', 0]], [[5, 6, ''], [0, 0, '> ']]);
    const e2 = textEvent(['b', 0], [['a', 1]], [[7, 0, '!😀']]);
    assert.equal(merged([base, e1, e2]), '> hello!😀');
  });

  test('"abc" and "xyz" typed concurrently at one spot never interleave', () => {
    for (const [a, b] of [['alice', 'bob'], ['bob', 'alice'], ['a', 'ab'], ['Z', 'a']] as const) {
      for (const pos of [0, 1, 2]) {
        const base = textEvent(['base', 0], [], [[0, 0, '12']]);
        const expectA = '12'.slice(0, pos) + 'abc' + 'xyz' + '12'.slice(pos);
        const expectB = '12'.slice(0, pos) + 'xyz' + 'abc' + '12'.slice(pos);
        // Whole inserts and keystroke runs, in both cases decided by agent order.
        const whole = merged([base, textEvent([a, 0], [['base', 0]], [[pos, 0, 'abc']]), textEvent([b, 0], [['base', 0]], [[pos, 0, 'xyz']])]);
        const runs = merged([base, ...typeRun(a, 0, [['base', 0]], pos, 'abc'), ...typeRun(b, 0, [['base', 0]], pos, 'xyz')]);
        const want = a < b ? expectA : expectB;
        assert.equal(whole, want, `${a} vs ${b} at ${pos}`);
        assert.equal(runs, want, `${a} vs ${b} at ${pos}, typed`);
      }
    }
  });

  test('concurrent deletes of the same char delete it once', () => {
    const base = textEvent(['a', 0], [], [[0, 0, 'abc']]);
    const d1 = textEvent(['a', 1], [['a', 0]], [[1, 1, '']]);
    const d2 = textEvent(['b', 0], [['a', 0]], [[1, 1, '']]);
    assert.equal(merged([base, d1, d2]), 'ac');
    // An event that saw both deletes inserts where "b" was.
    assert.equal(merged([base, d1, d2, textEvent(['c', 0], [['a', 1], ['b', 0]], [[1, 0, 'X']])]), 'aXc');
    // Overlapping ranges.
    const d3 = textEvent(['c', 0], [['a', 0]], [[0, 2, '']]);
    assert.equal(merged([base, d1, d2, d3]), 'c');
  });

  test('an insert inside a concurrently deleted range survives', () => {
    const base = textEvent(['a', 0], [], [[0, 0, 'abcdef']]);
    const del = textEvent(['a', 1], [['a', 0]], [[1, 4, '']]);
    const ins = textEvent(['b', 0], [['a', 0]], [[3, 0, 'X']]);
    assert.equal(merged([base, del, ins]), 'aXf');
    // Deleting everything concurrently with typing keeps only the typing.
    const all = textEvent(['c', 0], [['a', 0]], [[0, 6, '']]);
    assert.equal(merged([base, all, ...typeRun('d', 0, [['a', 0]], 6, 'xyz')]), 'xyz');
  });

  test('two concurrent ops merge like OT transform with the agent tie-break', () => {
    withSeed('oracle vs transform', (rng) => {
      for (let i = 0; i < 300; i++) {
        const base = rng.text(rng.range(0, 8));
        const root = textEvent(['r', 0], [], base === '' ? [] : [[0, 0, base]]);
        const opOf = (): (readonly [number, number, string])[] => {
          const bounds = boundaries(base);
          const i0 = rng.int(bounds.length);
          const i1 = rng.range(i0, Math.min(bounds.length - 1, i0 + 3));
          return [[bounds[i0] as number, (bounds[i1] as number) - (bounds[i0] as number), i1 > i0 && rng.bool(0.3) ? '' : rng.text(rng.range(1, 3))]];
        };
        const ea = textEvent(['a', 0], [['r', 0]], opOf());
        const eb = textEvent(['b', 0], [['r', 0]], opOf());
        if (ea.change.type !== 'text' || eb.change.type !== 'text') throw new Error('unreachable');
        // Agent 'a' < 'b', so a's text goes left of b's at the same spot.
        const ot = apply(apply(base, ea.change.op), transform(eb.change.op, ea.change.op, 'right'));
        assert.equal(merged([root, ea, eb], rng), ot, `base ${JSON.stringify(base)}`);
      }
    });
  });

  test('random concurrent histories: result is independent of processing order', () => {
    withSeed('oracle order independence', (rng) => {
      for (let h = 0; h < 20; h++) {
        const events: Event[] = [];
        const next = new Map<string, number>();
        for (let i = 0; i < 25; i++) {
          // Parents: a random causally closed subset's frontier (own previous event always included).
          const agent = rng.pick(['a', 'b', 'c']);
          const seq = next.get(agent) ?? 0;
          next.set(agent, seq + 1);
          const seen = events.filter((e) => rng.bool(0.6) || (e.id.agent === agent));
          const closed = closure(seen, events);
          const text = oracleText(closed, 'text');
          const bounds = boundaries(text);
          const i0 = rng.int(bounds.length);
          const i1 = rng.bool(0.3) ? rng.range(i0, bounds.length - 1) : i0;
          const ins = i1 > i0 && rng.bool() ? '' : rng.text(rng.range(1, 4));
          events.push({ id: id([agent, seq]), parents: frontierOf(closed), change: { type: 'text', name: 'text', op: opFromPatches([[bounds[i0] as number, (bounds[i1] as number) - (bounds[i0] as number), ins]]) } });
        }
        merged(events, rng);
      }
    });
  });

  test('maps: last writer by Lamport time wins, ties to the higher agent, delete writes absent', () => {
    const set = (ref: Ref, parents: readonly Ref[], key: string, value: JsonValue): Event => ({ id: id(ref), parents: parents.map(id), change: { type: 'map_set', name: 'm', key, value } });
    const del = (ref: Ref, parents: readonly Ref[], key: string): Event => ({ id: id(ref), parents: parents.map(id), change: { type: 'map_delete', name: 'm', key } });
    const events = [
      set(['a', 0], [], 'k', 1),
      set(['b', 0], [], 'k', 2), // same Lamport time as a:0; 'b' > 'a' wins
      set(['a', 1], [['a', 0]], '__proto__', { x: 1 }),
      del(['b', 1], [['b', 0]], '__proto__'), // concurrent with a:1, same Lamport time, b wins: absent
      set(['a', 2], [['a', 1]], 'constructor', 'c'),
      set(['b', 2], [['b', 1]], 'late', true),
      set(['a', 3], [['a', 2]], 'late', false), // Lamport 3 beats b:2's 2
    ];
    const m = oracleMap(events, 'm');
    assert.deepStrictEqual([...m.entries()].sort(), [['constructor', 'c'], ['k', 2], ['late', false]]);
    assert.deepStrictEqual(oracleMap(events, 'other'), new Map());
  });

  test('missing parents are refused', () => {
    assert.throws(() => oracleText([textEvent(['a', 1], [['a', 0]], [[0, 0, 'x']])], 'text'), /missing parent/);
  });
});

/** `seen` plus all its ancestors within `all`. */
function closure(seen: readonly Event[], all: readonly Event[]): Event[] {
  const byId = new Map(all.map((e) => [eventIdToString(e.id), e]));
  const out = new Map<string, Event>();
  const stack = [...seen];
  while (stack.length > 0) {
    const e = stack.pop() as Event;
    const k = eventIdToString(e.id);
    if (out.has(k)) continue;
    out.set(k, e);
    for (const p of e.parents) stack.push(byId.get(eventIdToString(p)) as Event);
  }
  return all.filter((e) => out.has(eventIdToString(e.id)));
}

describe('convergence of real replicas', () => {
  test('1,000 random histories converge and match the oracle', () => {
    const base = testSeed();
    let events = 0;
    for (let i = 0; i < 1000; i++) {
      // Mostly short histories (edge cases near empty texts), some long ones (deep concurrency).
      const { events: n } = withSeed(`history ${i}`, (rng) => runHistory(rng, { agents: [3, 8], steps: rng.bool(0.8) ? rng.range(5, 80) : rng.range(100, 300), maxInsert: 6 }), historySeed(base, i));
      events += n;
    }
    assert.ok(events > 20_000, `only ${events} events in 1,000 histories`);
  });

  test('"abc" and "xyz" typed at the same spot never interleave', () => {
    withSeed('no interleaving', (rng) => {
      for (let i = 0; i < 200; i++) {
        const [na, nb] = rng.shuffle(['alice', 'bob', 'a', 'ab', 'Z', 'émile']).slice(0, 2) as [string, string];
        const a = new Doc({ agent: agentId(na) });
        const b = new Doc({ agent: agentId(nb) });
        const base = rng.text(rng.range(0, 6));
        if (base !== '') a.insert('t', 0, base);
        b.receive(a.events());
        const pos = rng.pick(boundaries(base));
        const typed = rng.bool();
        for (const [doc, s] of [[a, 'abc'], [b, 'xyz']] as const) {
          if (typed) [...s].forEach((ch, k) => doc.insert('t', pos + k, ch));
          else doc.insert('t', pos, s);
        }
        const fromB = b.eventsSince(a.vector);
        b.receive(a.eventsSince(b.vector));
        a.receive(fromB);
        const text = a.getText('t');
        assert.equal(b.getText('t'), text);
        const mid = text.slice(pos, pos + 6);
        assert.ok(mid === 'abcxyz' || mid === 'xyzabc', `interleaved: ${JSON.stringify(text)} (base ${JSON.stringify(base)} at ${pos}, typed ${typed}, agents ${na} ${nb})`);
        assert.equal(text, oracleText(a.events(), 't'));
      }
    });
  });

  test('concurrent first edits (parents = the empty version) converge', () => {
    const a = new Doc({ agent: agentId('a') });
    const b = new Doc({ agent: agentId('b') });
    a.insert('t', 0, 'abc');
    b.insert('t', 0, 'xyz');
    const fromB = b.events();
    b.receive(a.events());
    a.receive(fromB);
    assert.equal(a.getText('t'), 'abcxyz');
    assert.equal(b.getText('t'), 'abcxyz');
  });

  test('a causally closed batch is accepted even when it wakes a held event that still waits', () => {
    const a = new Doc({ agent: agentId('a') });
    const b = new Doc({ agent: agentId('b') });
    const a0 = a.insert('t', 0, 'x') as Event;
    const b0 = b.insert('u', 0, 'y') as Event;
    b.receive([a0]);
    const b1 = b.insert('t', 1, 'z') as Event;
    assert.deepStrictEqual(b1.parents.map(eventIdToString), ['a:0', 'b:0']);
    const reader = new Doc({ agent: agentId('r') });
    // b:1 is held: it waits for a:0 and b:0.
    assert.equal(reader.receive([b1], { buffer: true }).pending, 1);
    // a:0 alone is complete; it wakes b:1, which still waits for b:0 and must simply stay held.
    const res = reader.receive([a0]);
    assert.deepStrictEqual(res.applied.map((e) => eventIdToString(e.id)), ['a:0']);
    assert.equal(res.pending, 1);
    assert.equal(reader.receive([b0]).pending, 0);
    assert.equal(reader.getText('t'), 'xz');
    assert.equal(reader.getText('u'), 'y');
  });

  test('an event reaching back to the root past other concurrent roots merges at its own parents', () => {
    const a = new Doc({ agent: agentId('a') });
    const b = new Doc({ agent: agentId('b') });
    a.insert('t', 0, 'abc');
    const b0 = b.insert('t', 0, 'xyz') as Event;
    const b1 = b.insert('t', 3, 'Q') as Event; // made before b saw a:0
    const r = new Doc({ agent: agentId('r') });
    r.receive(a.events());
    r.receive([b0]);
    assert.equal(r.getText('t'), 'abcxyz');
    r.receive([b1]);
    assert.equal(r.getText('t'), 'abcxyzQ');
    assert.equal(r.getText('t'), oracleText([...a.events(), ...b.events()], 't'));
  });

  test('a map value the author accepts is accepted by every peer', () => {
    const attempts: Record<string, unknown> = {
      date: new Date(0),
      'inherited prototype': Object.create({ inherited: 1 }) as unknown,
      'sparse array': [1, , 3],
      NaN: NaN,
      'undefined field': { u: undefined },
      function: () => 1,
    };
    const refusedByPeer: string[] = [];
    for (const [what, value] of Object.entries(attempts)) {
      const a = new Doc({ agent: agentId('a') });
      const b = new Doc({ agent: agentId('b') });
      try {
        a.setKey('m', 'k', value as JsonValue);
      } catch {
        continue; // refusing it locally is fine
      }
      try {
        b.receive(a.events());
      } catch {
        refusedByPeer.push(what);
      }
    }
    assert.deepStrictEqual(refusedByPeer, [], 'values accepted by setKey but refused by a peer');
  });

  test('mutating a value after setKey does not make replicas at one version disagree', () => {
    const a = new Doc({ agent: agentId('a') });
    const b = new Doc({ agent: agentId('b') });
    const value = { list: [1] };
    a.setKey('m', 'k', value);
    b.receive(a.events());
    value.list.push(2);
    const c = new Doc({ agent: agentId('c') });
    c.receive(a.events());
    assert.deepStrictEqual(b.version, c.version);
    assert.deepStrictEqual(a.getMap('m').get('k'), { list: [1] });
    assert.deepStrictEqual(c.getMap('m').get('k'), b.getMap('m').get('k'));
  });

  test('merging A into B and B into A gives the same text and version', () => {
    withSeed('merge symmetry', (rng) => {
      for (let i = 0; i < 100; i++) {
        const a = new Doc({ agent: agentId('a') });
        const b = new Doc({ agent: agentId('b') });
        a.insert('t', 0, rng.text(5));
        b.receive(a.events());
        for (const doc of [a, b]) {
          for (let k = rng.range(1, 6); k > 0; k--) {
            const t = doc.getText('t');
            const bounds = boundaries(t);
            const i0 = rng.int(bounds.length);
            if (rng.bool(0.6) || t === '') doc.insert('t', bounds[i0] as number, rng.text(rng.range(1, 3)));
            else if (i0 < bounds.length - 1) doc.delete('t', bounds[i0] as number, (bounds[i0 + 1] as number) - (bounds[i0] as number));
          }
        }
        // Fresh replicas that learn A then B, and B then A, as well as A and B themselves.
        const ab = new Doc({ agent: agentId('x') });
        const ba = new Doc({ agent: agentId('y') });
        ab.receive(a.events());
        ab.receive(b.events());
        ba.receive(b.events());
        ba.receive(a.events());
        const fromB = b.eventsSince(a.vector);
        b.receive(a.eventsSince(b.vector));
        a.receive(fromB);
        for (const d of [b, ab, ba]) {
          assert.equal(d.getText('t'), a.getText('t'));
          assert.deepStrictEqual(d.version, a.version);
        }
      }
    });
  });
});
