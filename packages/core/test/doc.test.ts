/**
 * Behaviour of a Doc replica: local edits, receiving (duplicates, conflicts, missing parents,
 * buffering, atomicity), versions, maps and collaborative undo.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CoreErrorCode, Doc, TandemError, agentId } from '../src/index.js';
import type { Event } from '../src/index.js';

const doc = (agent: string, captureTimeoutMs = 0): Doc => new Doc({ agent: agentId(agent), undo: { captureTimeoutMs } });
const isCode = (code: string) => (e: unknown) => e instanceof TandemError && e.code === code;

function sync(...docs: Doc[]): void {
  for (const a of docs) for (const b of docs) if (a !== b) b.receive(a.eventsSince(b.vector));
}

describe('Doc local edits and versions', () => {
  test('edits apply at once and become events with parents', () => {
    const a = doc('alice');
    const e1 = a.insert('body', 0, 'hello')!;
    const e2 = a.insert('body', 5, ' world')!;
    assert.equal(a.getText('body'), 'hello world');
    assert.deepEqual(e1.id, { agent: 'alice', seq: 0 });
    assert.deepEqual(e1.parents, []);
    assert.deepEqual(e2.parents, [{ agent: 'alice', seq: 0 }]);
    assert.deepEqual(a.version, [{ agent: 'alice', seq: 1 }]);
    assert.deepEqual({ ...a.vector }, { alice: 2 });
  });

  test('a no-op edit makes no event', () => {
    const a = doc('alice');
    assert.equal(a.editText('body', []), undefined);
    assert.equal(a.eventCount, 0);
  });

  test('bad local ops are rejected with typed errors and change nothing', () => {
    const a = doc('alice');
    a.insert('t', 0, 'a😀b');
    assert.throws(() => a.delete('t', 0, 10), isCode(CoreErrorCode.BaseLengthMismatch));
    assert.throws(() => a.insert('t', 2, 'x'), isCode(CoreErrorCode.SplitSurrogate));
    assert.throws(() => a.delete('t', 2, 1), isCode(CoreErrorCode.SplitSurrogate));
    assert.throws(() => a.editText('t', [{ type: 'retain', length: -1 }]), isCode(CoreErrorCode.InvalidOp));
    assert.equal(a.getText('t'), 'a😀b');
    assert.equal(a.eventCount, 1);
  });

  test('compareVersions and diffVersions', () => {
    const a = doc('alice');
    const b = doc('bob');
    a.insert('t', 0, 'x');
    sync(a, b);
    const common = a.version;
    a.insert('t', 1, 'a');
    b.insert('t', 1, 'b');
    const va = a.version;
    const vb = b.version;
    sync(a, b);
    assert.equal(a.compareVersions(common, va), 'before');
    assert.equal(a.compareVersions(va, common), 'after');
    assert.equal(a.compareVersions(va, vb), 'concurrent');
    assert.equal(a.compareVersions(va, va), 'equal');
    assert.deepEqual(a.diffVersions(va, vb), { onlyA: [{ agent: 'alice', seq: 1 }], onlyB: [{ agent: 'bob', seq: 0 }] });
    assert.throws(() => a.compareVersions([{ agent: agentId('zed'), seq: 0 }], va), isCode(CoreErrorCode.UnknownVersion));
  });

  test('eventsSince sends exactly what the other side lacks', () => {
    const a = doc('alice');
    for (let i = 0; i < 10; i++) a.insert('t', i, String(i));
    const b = doc('bob');
    b.receive(a.events().slice(0, 4));
    const missing = a.eventsSince(b.vector);
    assert.deepEqual(missing.map((e) => e.id.seq), [4, 5, 6, 7, 8, 9]);
    b.receive(missing);
    assert.equal(b.getText('t'), a.getText('t'));
  });
});

describe('Doc receive', () => {
  test('concurrent typing at one spot never interleaves', () => {
    const a = doc('alice');
    const b = doc('bob');
    for (const ch of 'abc') a.insert('t', a.textLength('t'), ch);
    for (const ch of 'xyz') b.insert('t', b.textLength('t'), ch);
    sync(a, b);
    assert.equal(a.getText('t'), b.getText('t'));
    assert.ok(['abcxyz', 'xyzabc'].includes(a.getText('t')), a.getText('t'));
  });

  test('duplicates are counted and ignored', () => {
    const a = doc('alice');
    a.insert('t', 0, 'hi');
    const b = doc('bob');
    b.receive(a.events());
    const r = b.receive(a.events());
    assert.equal(r.duplicates, 1);
    assert.equal(r.applied.length, 0);
    assert.equal(b.getText('t'), 'hi');
  });

  test('a different payload under a known id is rejected, never merged', () => {
    const a = doc('alice');
    const e = a.insert('t', 0, 'hi')!;
    const b = doc('bob');
    b.receive([e]);
    const forged: Event = { ...e, change: { type: 'text', name: 't', op: [{ type: 'insert', content: 'XX' }] } };
    assert.throws(() => b.receive([forged]), isCode(CoreErrorCode.ConflictingEvent));
    assert.equal(b.getText('t'), 'hi');
  });

  test('missing parents reject the whole batch and leave the replica untouched', () => {
    const a = doc('alice');
    a.insert('t', 0, 'a');
    a.insert('t', 1, 'b');
    a.insert('t', 2, 'c');
    const [e0, e1, e2] = a.events() as [Event, Event, Event];
    const b = doc('bob');
    b.insert('t', 0, 'B');
    assert.throws(() => b.receive([e0, e2]), isCode(CoreErrorCode.MissingParents));
    assert.equal(b.getText('t'), 'B');
    assert.equal(b.eventCount, 1);
    assert.equal(b.has(e0.id), false);
    b.receive([e2, e1, e0]); // any order inside a batch is fine
    assert.equal(b.getText('t').length, 4);
  });

  test('buffered events wait for their parents, then apply', () => {
    const a = doc('alice');
    for (let i = 0; i < 5; i++) a.insert('t', i, String(i));
    const evs = a.events();
    const b = doc('bob');
    const r1 = b.receive([evs[4]!, evs[2]!], { buffer: true });
    assert.equal(r1.pending, 2);
    assert.equal(b.getText('t'), '');
    const r2 = b.receive([evs[3]!, evs[1]!], { buffer: true });
    assert.equal(r2.pending, 4);
    const r3 = b.receive([evs[0]!], { buffer: true });
    assert.equal(r3.pending, 0);
    assert.equal(r3.applied.length, 5);
    assert.equal(b.getText('t'), '01234');
  });

  test('the pending buffer is bounded', () => {
    const a = doc('alice');
    for (let i = 0; i < 5; i++) a.insert('t', i, 'x');
    const b = new Doc({ agent: agentId('bob'), maxPending: 2 });
    assert.throws(() => b.receive(a.events().slice(1), { buffer: true }), isCode(CoreErrorCode.LimitExceeded));
    assert.equal(b.pendingCount, 0);
  });

  test('a remote op reaching past its text is rejected atomically, on the fast path and in a merge', () => {
    const a = doc('alice');
    a.insert('t', 0, 'abc');
    const b = doc('bob');
    b.receive(a.events());
    const bad: Event = {
      id: { agent: agentId('mallory'), seq: 0 },
      parents: a.version,
      change: { type: 'text', name: 't', op: [{ type: 'retain', length: 10 }, { type: 'insert', content: '!' }] },
    };
    assert.throws(() => b.receive([bad]), isCode(CoreErrorCode.BaseLengthMismatch));
    assert.equal(b.getText('t'), 'abc');
    b.insert('t', 3, 'd'); // now `bad` is concurrent with b's edit: the merge path must reject it too
    assert.throws(() => b.receive([bad]), isCode(CoreErrorCode.BaseLengthMismatch));
    assert.equal(b.getText('t'), 'abcd');
    assert.equal(b.has(bad.id), false);
  });

  test('changes reported by receive rebuild the text incrementally', () => {
    const a = doc('alice');
    const b = doc('bob');
    a.insert('t', 0, 'hello world');
    sync(a, b);
    a.delete('t', 0, 6);
    a.insert('t', 0, 'HELLO ');
    b.insert('t', 11, '!');
    b.delete('t', 5, 1);
    let text = b.getText('t');
    const { changes } = b.receive(a.eventsSince(b.vector));
    for (const c of changes) {
      assert.equal(c.type, 'text');
      if (c.type === 'text') {
        let out = '';
        let pos = 0;
        for (const comp of c.op) {
          if (comp.type === 'retain') {
            out += text.slice(pos, pos + comp.length);
            pos += comp.length;
          } else if (comp.type === 'insert') out += comp.content;
          else pos += comp.length;
        }
        text = out + text.slice(pos);
      }
    }
    assert.equal(text, b.getText('t'));
  });

  test('subscribers see local and remote changes with their origin', () => {
    const a = doc('alice');
    const b = doc('bob');
    const seen: string[] = [];
    b.subscribe((changes, origin) => seen.push(`${origin}:${changes.length}`));
    b.insert('t', 0, 'x');
    a.insert('t', 0, 'y');
    b.receive(a.events());
    b.undo();
    assert.deepEqual(seen, ['local:1', 'remote:1', 'undo:1']);
  });
});

describe('shared maps', () => {
  test('last writer wins in causal order; concurrent writes tie-break the same everywhere', () => {
    const a = doc('alice');
    const b = doc('bob');
    a.setKey('meta', 'title', 'A');
    sync(a, b);
    b.setKey('meta', 'title', 'B'); // saw A's write: wins
    sync(a, b);
    assert.equal(a.getMap('meta').get('title'), 'B');
    a.setKey('meta', 'k', 1);
    b.setKey('meta', 'k', 2);
    sync(a, b);
    assert.deepEqual([...a.getMap('meta')], [...b.getMap('meta')]);
    b.deleteKey('meta', 'title');
    sync(a, b);
    assert.equal(a.getMap('meta').has('title'), false);
  });

  test('__proto__ and constructor are ordinary keys and names', () => {
    const a = doc('alice');
    a.setKey('__proto__', '__proto__', { polluted: true });
    a.setKey('constructor', 'constructor', 'x');
    const b = doc('bob');
    b.receive(a.events());
    assert.deepEqual(b.getMap('__proto__').get('__proto__'), { polluted: true });
    assert.equal(b.getMap('constructor').get('constructor'), 'x');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});

describe('collaborative undo', () => {
  test('undo reverts my last change after others edited around it, and never theirs', () => {
    const a = doc('alice');
    const b = doc('bob');
    a.insert('t', 0, 'hello');
    sync(a, b);
    a.insert('t', 5, ' world');
    b.insert('t', 0, '>> ');
    sync(a, b);
    b.insert('t', b.textLength('t'), ' <<');
    sync(a, b);
    assert.equal(a.getText('t'), '>> hello world <<');
    a.undo();
    assert.equal(a.getText('t'), '>> hello <<');
    sync(a, b);
    assert.equal(b.getText('t'), '>> hello <<');
    a.redo();
    assert.equal(a.getText('t'), '>> hello world <<');
  });

  test('undo of a delete restores the text in place', () => {
    const a = doc('alice');
    const b = doc('bob');
    a.insert('t', 0, 'one two three');
    sync(a, b);
    a.delete('t', 4, 4);
    b.insert('t', 0, '0 ');
    sync(a, b);
    assert.equal(a.getText('t'), '0 one three');
    a.undo();
    assert.equal(a.getText('t'), '0 one two three');
    sync(a, b);
    assert.equal(b.getText('t'), a.getText('t'));
  });

  test('undo skips what others already removed, and groups quick edits', () => {
    let now = 0;
    const a = new Doc({ agent: agentId('alice'), undo: { captureTimeoutMs: 500, now: () => now } });
    const b = doc('bob');
    a.insert('t', 0, 'abc');
    now += 100;
    a.insert('t', 3, 'def'); // same step as 'abc'
    now += 1000;
    a.insert('t', 6, 'XYZ'); // a step of its own
    sync(a, b);
    b.delete('t', 6, 3); // bob removes alice's XYZ
    sync(a, b);
    a.undo(); // XYZ is gone already: undo reverts the step before it
    assert.equal(a.getText('t'), '');
    assert.equal(a.canUndo, false);
  });

  test('map undo restores my previous value only while my write still shows', () => {
    const a = doc('alice');
    const b = doc('bob');
    a.setKey('m', 'k', 1);
    a.setKey('m', 'k', 2);
    a.undo();
    assert.equal(a.getMap('m').get('k'), 1);
    a.setKey('m', 'j', 'mine');
    sync(a, b);
    b.setKey('m', 'j', 'theirs');
    sync(a, b);
    a.undo();
    assert.equal(a.getMap('m').get('j'), 'theirs');
  });
});

describe('encode / decode', () => {
  test('a decoded replica has the text at once and its history when needed', () => {
    const a = doc('alice');
    const b = doc('bob');
    a.insert('t', 0, 'hello world');
    a.setKey('m', 'k', { nested: [1, 2] });
    sync(a, b);
    b.insert('t', 0, '>> ');
    a.delete('t', 0, 6);
    const bytes = a.encode();
    const loaded = Doc.decode(bytes, { agent: agentId('alice') });
    assert.equal(loaded.getText('t'), a.getText('t'));
    assert.deepEqual(loaded.getMap('m').get('k'), { nested: [1, 2] });
    assert.deepEqual(loaded.version, a.version);
    // Edit before the history is decoded, then merge concurrent events that need it.
    loaded.insert('t', loaded.textLength('t'), '!');
    loaded.receive(b.eventsSince(loaded.vector));
    a.insert('t', a.textLength('t'), '!');
    a.receive(b.eventsSince(a.vector));
    assert.equal(loaded.getText('t'), a.getText('t'));
    assert.deepEqual(
      loaded.events().map((e) => `${e.id.agent}:${e.id.seq}`),
      a.events().map((e) => `${e.id.agent}:${e.id.seq}`),
    );
  });

  test('malformed bytes are refused with ERR_DECODE', () => {
    const a = doc('alice');
    a.insert('t', 0, 'x');
    const bytes = a.encode();
    const bad = Uint8Array.from(bytes);
    bad[bad.length - 6] = (bad[bad.length - 6]! + 1) & 0xff;
    assert.throws(() => Doc.decode(bad, { agent: agentId('z') }), isCode(CoreErrorCode.Decode));
    assert.throws(() => Doc.decode(new Uint8Array([1, 2, 3]), { agent: agentId('z') }), isCode(CoreErrorCode.Decode));
  });
});

describe('wide frontiers', () => {
  test('an edit made after merging 100 concurrent writers has 100 parents and every replica accepts it', () => {
    const reader = doc('reader');
    const writers: Doc[] = [];
    for (let i = 0; i < 100; i++) {
      const w = doc(`w${String(i).padStart(3, '0')}`);
      w.insert('t', 0, String(i % 10));
      writers.push(w);
      reader.receive(w.events());
    }
    assert.equal(reader.version.length, 100);
    const e = reader.insert('t', 0, '!')!;
    assert.equal(e.parents.length, 100);
    const other = doc('other');
    for (const w of writers) other.receive(w.events());
    other.receive([JSON.parse(JSON.stringify(e)) as Event]);
    assert.equal(other.getText('t'), reader.getText('t'));
  });
});

describe('fast encoding', () => {
  test("compress: 'fast' round-trips and loads like the default", () => {
    const a = doc('alice');
    for (let i = 0; i < 200; i++) a.insert('t', i, 'abc'[i % 3]!);
    a.setKey('m', 'k', 1);
    for (const compress of [true, 'fast', false] as const) {
      const loaded = Doc.decode(a.encode({ compress }), { agent: agentId('z') });
      assert.equal(loaded.getText('t'), a.getText('t'));
      assert.equal(loaded.getMap('m').get('k'), 1);
      assert.equal(loaded.events().length, a.events().length);
    }
  });
});
