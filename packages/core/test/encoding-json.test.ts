/**
 * Tests of the JSON form of events: valid events pass and round-trip; every class of malformed or
 * hostile input fails with the right TandemError code and a message naming the field.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTandemError, type CoreErrorCode } from '../src/errors.js';
import type { Event } from '../src/event.js';
import { checkEvent, checkEvents, eventToJSON } from '../src/encoding/json-event.js';
import { withSeed } from './support/random.js';

const base = (): Record<string, unknown> => ({
  id: { agent: 'alice', seq: 3 },
  parents: [
    { agent: 'bob', seq: 7 },
    { agent: 'alice', seq: 2 },
  ],
  change: { type: 'text', name: 'body', op: [{ type: 'retain', length: 4 }, { type: 'insert', content: 'hé😀' }, { type: 'delete', length: 2 }] },
});

/** JSON.parse of the JSON text: what a server actually receives. */
function wire(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

function throwsCode(f: () => unknown, code: CoreErrorCode, message?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isTandemError(e, code), `expected ${code}, got ${e instanceof Error ? `${e.name} ${(e as { code?: string }).code}: ${e.message}` : String(e)}`);
    if (message !== undefined) assert.match((e as Error).message, message);
    return true;
  });
}

/** `base()` with the value at `path` replaced (or deleted when `value` is the DELETE marker). */
const DELETE = Symbol('delete');
function mutate(path: readonly (string | number)[], value: unknown): Record<string, unknown> {
  const e = base();
  let o: Record<string | number, unknown> = e;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === DELETE) delete o[last];
  else o[last] = value;
  return e;
}

describe('checkEvent: valid events', () => {
  it('accepts each change kind and round-trips through eventToJSON and JSON text', () => {
    const events: unknown[] = [
      base(),
      { id: { agent: 'a', seq: 0 }, parents: [], change: { type: 'text', name: 't', op: [] } },
      { id: { agent: 'a', seq: 1 }, parents: [{ agent: 'a', seq: 0 }], change: { type: 'map_set', name: 'm', key: '', value: { x: [1, 'two', null, true, { y: -2.5e-7 }] } } },
      { id: { agent: 'a', seq: 2 }, parents: [{ agent: 'a', seq: 1 }], change: { type: 'map_delete', name: 'm', key: 'x' } },
    ];
    for (const input of events) {
      const e = checkEvent(wire(input));
      const json = eventToJSON(e);
      assert.deepEqual(checkEvent(wire(json)), e);
      assert.deepEqual(json, e);
    }
  });

  it('sorts parents and normalizes the op', () => {
    const e = checkEvent(wire(base()));
    assert.deepEqual(e.parents, [
      { agent: 'alice', seq: 2 },
      { agent: 'bob', seq: 7 },
    ]);
    const merged = checkEvent(wire(mutate(['change', 'op'], [{ type: 'insert', content: 'a' }, { type: 'insert', content: 'b' }, { type: 'retain', length: 3 }])));
    assert.deepEqual(merged.change, { type: 'text', name: 'body', op: [{ type: 'insert', content: 'ab' }] });
  });

  it('returns copies that share nothing with the input', () => {
    const input = wire(mutate(['change'], { type: 'map_set', name: 'm', key: 'k', value: { list: [1, 2] } })) as Record<string, unknown>;
    const e = checkEvent(input);
    ((input['change'] as Record<string, unknown>)['value'] as { list: number[] }).list.push(3);
    (input['parents'] as unknown[]).pop();
    assert.deepEqual(e.change, { type: 'map_set', name: 'm', key: 'k', value: { list: [1, 2] } });
    assert.equal(e.parents.length, 2);
    const copy = eventToJSON(e) as unknown as { parents: { seq: number }[] };
    (copy.parents[0] as { seq: number }).seq = 99;
    assert.equal(e.parents[0]?.seq, 2);
  });

  it('normalizes -0 to 0 as a JSON round trip would', () => {
    const e = checkEvent(mutate(['change'], { type: 'map_set', name: 'm', key: 'k', value: [-0] }));
    assert.ok(e.change.type === 'map_set' && Object.is((e.change.value as number[])[0], 0));
  });

  it('accepts objects with a null prototype', () => {
    const id = Object.assign(Object.create(null) as object, { agent: 'z', seq: 0 });
    assert.deepEqual(checkEvent({ id, parents: [], change: { type: 'text', name: 't', op: [] } }).id, { agent: 'z', seq: 0 });
  });
});

describe('checkEvent: invalid events', () => {
  const invalid = 'ERR_INVALID_EVENT';
  const cases: [string, unknown, CoreErrorCode, RegExp?][] = [
    ['null', null, invalid, /^event must be a plain object/],
    ['an array', [], invalid],
    ['a string', 'event', invalid],
    ['a class instance', new Date(0), invalid],
    ['missing id', mutate(['id'], DELETE), invalid, /missing field "id"/],
    ['missing parents', mutate(['parents'], DELETE), invalid, /missing field "parents"/],
    ['missing change', mutate(['change'], DELETE), invalid],
    ['an extra event field', { ...base(), extra: 1 }, invalid, /unexpected field "extra"/],
    ['an extra id field', mutate(['id', 'x'], 1), invalid, /event\.id has unexpected field/],
    ['an extra change field', mutate(['change', 'value'], 1), invalid, /event\.change has unexpected/],
    ['an empty agent', mutate(['id', 'agent'], ''), invalid, /event\.id\.agent/],
    ['a long agent', mutate(['id', 'agent'], 'x'.repeat(129)), invalid, /event\.id\.agent/],
    ['a numeric agent', mutate(['id', 'agent'], 5), invalid],
    ['an agent with a lone surrogate', mutate(['id', 'agent'], 'a\ud800'), invalid],
    ['a negative seq', mutate(['id', 'seq'], -1), invalid, /event\.id\.seq .*-1/],
    ['a fractional seq', mutate(['id', 'seq'], 1.5), invalid],
    ['a huge seq', mutate(['id', 'seq'], 2 ** 53), invalid, /event\.id\.seq/],
    ['a string seq', mutate(['id', 'seq'], '3'), invalid],
    ['a NaN seq', mutate(['id', 'seq'], NaN), invalid],
    ['parents not an array', mutate(['parents'], {}), invalid, /event\.parents/],
    ['too many parents', mutate(['parents'], Array.from({ length: 4097 }, (_, i) => ({ agent: 'p', seq: i }))), invalid, /4097 parents/],
    ['duplicate parents', mutate(['parents'], [{ agent: 'b', seq: 1 }, { agent: 'b', seq: 1 }]), invalid, /twice/],
    ['a bad parent seq', mutate(['parents', 1, 'seq'], -5), invalid, /event\.parents\[1\]\.seq/],
    ['a parent that is the event itself', mutate(['parents'], [{ agent: 'alice', seq: 3 }]), invalid],
    ['a parent later than the event', mutate(['parents'], [{ agent: 'alice', seq: 9 }]), invalid],
    ['a sparse parents array', mutate(['parents'], [, { agent: 'b', seq: 1 }]), invalid], // eslint-disable-line no-sparse-arrays
    ['an unknown change type', mutate(['change', 'type'], 'splice'), invalid, /event\.change\.type/],
    ['an empty name', mutate(['change', 'name'], ''), invalid, /event\.change\.name/],
    ['a long name', mutate(['change', 'name'], 'n'.repeat(257)), invalid],
    ['a bad op', mutate(['change', 'op'], [{ type: 'retain', length: 0 }]), 'ERR_INVALID_OP'],
    ['a non-array op', mutate(['change', 'op'], 'abc'), 'ERR_INVALID_OP'],
    ['an op with a lone surrogate', mutate(['change', 'op'], [{ type: 'insert', content: 'x\udc00' }]), 'ERR_SPLIT_SURROGATE'],
    ['a long key', { ...base(), change: { type: 'map_delete', name: 'm', key: 'k'.repeat(1025) } }, invalid, /event\.change\.key/],
    ['a numeric key', { ...base(), change: { type: 'map_delete', name: 'm', key: 1 } }, invalid],
    ['map_set without value', { ...base(), change: { type: 'map_set', name: 'm', key: 'k' } }, invalid, /missing field "value"/],
  ];
  for (const [what, input, code, message] of cases) {
    it(`rejects ${what}`, () => throwsCode(() => checkEvent(input), code, message));
  }

  const mapSet = (value: unknown): unknown => ({ ...base(), change: { type: 'map_set', name: 'm', key: 'k', value } });
  let deep: unknown = 1;
  for (let i = 0; i < 65; i++) deep = [deep];
  let deepOk: unknown = 1;
  for (let i = 0; i < 64; i++) deepOk = { a: deepOk };
  const getter = {};
  Object.defineProperty(getter, 'x', { get: () => 1, enumerable: true });
  const valueCases: [string, unknown][] = [
    ['undefined', undefined],
    ['a function', () => 1],
    ['NaN', NaN],
    ['Infinity', [Infinity]],
    ['a bigint', { n: 1n }],
    ['a Map', new Map()],
    ['a Date', [new Date(0)]],
    ['a sparse array', [1, , 3]], // eslint-disable-line no-sparse-arrays
    ['nesting deeper than 64', deep],
    ['a value over 64 KiB', { s: 'x'.repeat(64 * 1024) }],
    ['many small items over 64 KiB', Array.from({ length: 40_000 }, () => 1)],
    ['a getter property', getter],
    ['a huge sparse array', new Array(1e9)],
  ];
  for (const [what, value] of valueCases) {
    it(`rejects a map value that is ${what}`, () => throwsCode(() => checkEvent(mapSet(value)), invalid, /event\.change\.value/));
  }
  it('accepts nesting of exactly 64 and sizes up to the limit', () => {
    checkEvent(mapSet(deepOk));
    const s = 'x'.repeat(64 * 1024 - 2);
    checkEvent(mapSet(s));
    throwsCode(() => checkEvent(mapSet(`${s}x`)), invalid);
  });
  it('honours custom limits', () => {
    throwsCode(() => checkEvent(base(), { maxParents: 1 }), invalid, /limit of 1/);
    throwsCode(() => checkEvent(mapSet('abcdef'), { maxValueBytes: 5 }), invalid);
    throwsCode(() => checkEvent(base(), { maxOpComponents: 2 }), 'ERR_LIMIT_EXCEEDED');
  });
});

describe('checkEvent: prototype pollution', () => {
  it('stores __proto__, constructor and prototype as plain data', () => {
    const hostile = '{"id":{"agent":"__proto__","seq":0},"parents":[],"change":{"type":"map_set","name":"constructor","key":"__proto__",' +
      '"value":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":[1]}}}';
    const e = checkEvent(JSON.parse(hostile));
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal((Object.prototype as Record<string, unknown>)['polluted'], undefined);
    assert.ok(e.change.type === 'map_set');
    assert.equal(e.change.key, '__proto__');
    assert.equal(e.change.name, 'constructor');
    const v = e.change.value as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.ok(Object.prototype.hasOwnProperty.call(v, '__proto__'));
    assert.deepEqual(Object.keys(v), ['__proto__', 'constructor', 'prototype']);
    assert.equal(JSON.stringify(v), '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":[1]}');
    // The copy made by eventToJSON must be just as safe.
    const copy = eventToJSON(e);
    assert.equal(JSON.stringify(copy), JSON.stringify(e));
    assert.equal(Object.getPrototypeOf(copy.change.type === 'map_set' ? copy.change.value : null), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});

describe('checkEvents', () => {
  const ev = (seq: number): unknown => ({ id: { agent: 'a', seq }, parents: seq === 0 ? [] : [{ agent: 'a', seq: seq - 1 }], change: { type: 'map_delete', name: 'm', key: 'k' } });
  it('accepts an array and names the index of a bad entry', () => {
    assert.equal(checkEvents([ev(0), ev(1)]).length, 2);
    throwsCode(() => checkEvents([ev(0), { ...(ev(1) as object), id: { agent: 'a', seq: -1 } }]), 'ERR_INVALID_EVENT', /events\[1\]\.id\.seq/);
  });
  it('rejects non-arrays, too many events and duplicate ids', () => {
    throwsCode(() => checkEvents({ 0: ev(0) }), 'ERR_INVALID_EVENT');
    throwsCode(() => checkEvents([ev(0), ev(1), ev(2)], { maxEvents: 2 }), 'ERR_INVALID_EVENT', /limit of 2/);
    throwsCode(() => checkEvents([ev(0), ev(0)]), 'ERR_INVALID_EVENT', /twice/);
  });
  it('round-trips random valid events', () => {
    withSeed('json round trip', (rng) => {
      const events: Event[] = [];
      for (let i = 0; i < 200; i++) {
        const parents = i === 0 ? [] : [{ agent: `ag${rng.int(3)}`, seq: rng.int(i) }];
        const change = rng.bool()
          ? { type: 'text', name: rng.pick(['body', '__proto__']), op: [{ type: 'retain', length: rng.range(1, 9) }, { type: 'insert', content: rng.text(rng.range(1, 5)) }] }
          : { type: 'map_set', name: 'm', key: rng.text(3), value: { [rng.text(2)]: [rng.text(2), rng.int(100), rng.bool()] } };
        events.push(checkEvent(wire({ id: { agent: `ag${rng.int(3)}x`, seq: i }, parents, change })));
      }
      assert.deepEqual(checkEvents(wire(events.map(eventToJSON))), events);
    });
  });
});
