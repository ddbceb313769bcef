/**
 * Doc.loadEncoded: an empty replica an app already holds takes in an encoded document without a
 * replay, tells its listeners of the new texts and map values, and then edits and merges exactly
 * like a replica decoded from the same bytes; a non-empty replica or bad bytes are refused and
 * leave it unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Doc, type AppliedChange, type ChangeOrigin, type Event } from '../src/index.js';
import { isTandemError } from '../src/errors.js';
import { withSeed, type Rng } from './support/random.js';

/** Two writers editing concurrently now and then, with a map key or two. */
function history(rng: Rng, steps: number): Doc {
  const a = new Doc({ agent: 'alice' });
  const b = new Doc({ agent: 'bob' });
  for (let i = 0; i < steps; i++) {
    const d = rng.bool() ? a : b;
    const len = d.textLength('body');
    if (len > 0 && rng.bool(0.3)) d.delete('body', rng.int(len), 1);
    else d.insert('body', rng.int(len + 1), 'abcdefgh'.slice(rng.int(4), 5 + rng.int(3)));
    if (rng.bool(0.02)) d.setKey('meta', `k${rng.int(3)}`, rng.int(100));
    if (rng.bool(0.1)) d.insert('notes', 0, 'n');
    if (rng.bool(0.2)) {
      a.receive(b.events());
      b.receive(a.events());
    }
  }
  a.receive(b.events());
  return a;
}

describe('Doc.loadEncoded', () => {
  it('loads an encoded history into an empty replica, reports it, and syncs on top of it', () => {
    withSeed('loadEncoded', (rng) => {
      const source = history(rng, 2_000);
      const bytes = source.encode({ compress: 'fast' });
      const doc = new Doc({ agent: 'app' });
      const heard: { changes: readonly AppliedChange[]; origin: ChangeOrigin; events: readonly Event[] }[] = [];
      doc.subscribe((changes, origin, events) => heard.push({ changes, origin, events }));
      const result = doc.loadEncoded(bytes);
      assert.equal(result.events, source.eventCount);
      assert.equal(doc.eventCount, source.eventCount);
      assert.deepStrictEqual(doc.version, source.version);
      for (const name of source.textNames()) assert.equal(doc.getText(name), source.getText(name), name);
      assert.deepStrictEqual([...doc.getMap('meta')], [...source.getMap('meta')]);
      // Listeners can rebuild every text and map from what they heard, starting from nothing.
      assert.equal(heard.length, 1);
      assert.equal(heard[0]!.origin, 'remote');
      const rebuilt = new Map<string, string>();
      const keys = new Map<string, unknown>();
      for (const c of heard[0]!.changes) {
        if (c.type === 'text') rebuilt.set(c.name, (c.op[0] as { content: string }).content);
        else keys.set(c.key, c.value);
      }
      for (const name of source.textNames()) assert.equal(rebuilt.get(name) ?? '', source.getText(name));
      assert.deepStrictEqual([...keys].sort(), [...source.getMap('meta')].sort());
      assert.deepStrictEqual(result.changes, heard[0]!.changes);

      // Edits both ways afterwards converge with the source.
      doc.insert('body', 0, 'local ');
      source.insert('body', source.textLength('body'), ' remote');
      source.receive(doc.eventsSince(source.vector));
      doc.receive(source.eventsSince(doc.vector));
      assert.equal(doc.getText('body'), source.getText('body'));
      assert.deepStrictEqual(doc.events().length, source.events().length);
      // History is still there (decoded lazily): a fresh replica built from doc's events agrees.
      const again = new Doc({ agent: 'check' });
      again.receive(doc.events());
      assert.equal(again.getText('body'), source.getText('body'));
    });
  });

  it('loads events-only bytes by replaying them', () => {
    const source = new Doc({ agent: 'a' });
    source.insert('body', 0, 'hello');
    const doc = new Doc({ agent: 'b' });
    const origins: ChangeOrigin[] = [];
    doc.subscribe((_c, origin) => origins.push(origin));
    const bytes = source.encode();
    assert.equal(doc.loadEncoded(bytes).events, 1);
    assert.equal(doc.getText('body'), 'hello');
    assert.deepStrictEqual(origins, ['remote']);
  });

  it('refuses a replica that holds something, and bad bytes, leaving it unchanged', () => {
    const source = new Doc({ agent: 'a' });
    source.insert('body', 0, 'abc');
    const bytes = source.encode();
    const busy = new Doc({ agent: 'b' });
    busy.insert('body', 0, 'x');
    assert.throws(() => busy.loadEncoded(bytes), (e) => isTandemError(e, 'ERR_NOT_EMPTY'));
    assert.equal(busy.getText('body'), 'x');
    const empty = new Doc({ agent: 'c' });
    assert.throws(() => empty.loadEncoded(bytes.subarray(0, bytes.length - 3)), (e) => isTandemError(e, 'ERR_DECODE'));
    assert.equal(empty.eventCount, 0);
    empty.insert('body', 0, 'still works');
    assert.equal(empty.getText('body'), 'still works');
  });
});
