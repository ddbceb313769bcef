/**
 * Test oracle: a slow, direct list CRDT giving the text (and map) a set of events must merge to. It is
 * deliberately naive — one flat list of character items, ancestor sets per event, YjsMod/Fugue-style
 * placement of concurrent inserts — so it can be trusted to check the real Eg-walker merge.
 */
import type { Event, JsonValue } from '../../src/event.js';
import { eventIdToString, type EventId } from '../../src/ids.js';
import type { TextOp } from '../../src/text-op.js';

/** One op component, as the oracle reads it. */
type OracleComponent =
  | { readonly kind: 'retain'; readonly n: number }
  | { readonly kind: 'delete'; readonly n: number }
  | { readonly kind: 'insert'; readonly s: string };

/** Reads a TextOp as retain / insert / delete components (the trailing retain is implicit). */
function opComponents(op: TextOp): OracleComponent[] {
  return op.map((c): OracleComponent => {
    if (c.type === 'insert') return { kind: 'insert', s: c.content };
    return c.type === 'retain' ? { kind: 'retain', n: c.length } : { kind: 'delete', n: c.length };
  });
}

interface Item {
  /** Id of the inserting event and the index of this char among that event's inserted chars. */
  readonly event: EventId;
  readonly index: number;
  readonly char: string;
  readonly originLeft: Item | null;
  readonly originRight: Item | null;
  /** The events that deleted this char, keyed by id string. */
  readonly deleters: Map<string, EventId>;
}

/**
 * Ancestor sets. Every agent's events are totally ordered (seq k+1 descends from seq k: checked below),
 * so the set of ancestors of an event holds, for each agent, exactly a prefix of its seqs. The set is
 * therefore stored exactly as agent -> prefix length, and membership is `seq < prefix`.
 */
type AncestorSet = Map<string, number>;

function contains(set: AncestorSet, id: EventId): boolean {
  return id.seq < (set.get(id.agent) ?? 0);
}

/** The union of the parents' ancestor sets (inclusive of the parents themselves). */
function ancestorsOf(parents: readonly EventId[], sets: ReadonlyMap<string, AncestorSet>): AncestorSet {
  const out: AncestorSet = new Map();
  for (const p of parents) {
    const s = sets.get(eventIdToString(p));
    if (s === undefined) throw new Error(`oracle: parent ${eventIdToString(p)} not processed`);
    for (const [agent, n] of s) if ((out.get(agent) ?? 0) < n) out.set(agent, n);
  }
  return out;
}

/**
 * Deduplicates `events` by id and orders them topologically (parents first); throws when a parent is
 * missing or an agent's events are not a chain. Returns, per event (by id string), the ancestor set of
 * its parents and its Lamport time.
 */
function prepare(events: readonly Event[]): { order: Event[]; atParents: Map<string, AncestorSet>; lamport: Map<string, number> } {
  const byId = new Map<string, Event>();
  for (const e of events) byId.set(eventIdToString(e.id), e);
  const order: Event[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  // Iterative DFS post-order: an event is emitted after all its parents.
  for (const root of byId.keys()) {
    if (state.has(root)) continue;
    const stack: [string, number][] = [[root, 0]];
    state.set(root, 'visiting');
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [string, number];
      const e = byId.get(top[0]) as Event;
      if (top[1] < e.parents.length) {
        const p = eventIdToString(e.parents[top[1]++] as EventId);
        if (!byId.has(p)) throw new Error(`oracle: event ${top[0]} has missing parent ${p}`);
        const st = state.get(p);
        if (st === 'visiting') throw new Error(`oracle: cycle through ${p}`);
        if (st === undefined) {
          state.set(p, 'visiting');
          stack.push([p, 0]);
        }
      } else {
        state.set(top[0], 'done');
        order.push(e);
        stack.pop();
      }
    }
  }
  const inclusive = new Map<string, AncestorSet>();
  const atParents = new Map<string, AncestorSet>();
  const lamport = new Map<string, number>();
  for (const e of order) {
    const key = eventIdToString(e.id);
    const a = ancestorsOf(e.parents, inclusive);
    if ((a.get(e.id.agent) ?? 0) !== e.id.seq) {
      throw new Error(`oracle: event ${key} does not descend from exactly ${e.id.agent}'s seqs 0..${e.id.seq - 1}`);
    }
    atParents.set(key, a);
    const self = new Map(a);
    self.set(e.id.agent, e.id.seq + 1);
    inclusive.set(key, self);
    let l = 0;
    for (const p of e.parents) l = Math.max(l, (lamport.get(eventIdToString(p)) as number) + 1);
    lamport.set(key, l);
  }
  return { order, atParents, lamport };
}

/** Total order on inserting events for the tie-break: agent (code unit order), then seq. */
function idLess(a: EventId, b: EventId): boolean {
  return a.agent !== b.agent ? a.agent < b.agent : a.seq < b.seq;
}

/** Places `item` in `list` with the YjsMod / Fugue-like rule. */
function integrate(list: Item[], item: Item): void {
  const indexOf = (o: Item | null, ifNull: number): number => {
    if (o === null) return ifNull;
    const i = list.indexOf(o);
    if (i < 0) throw new Error('oracle: origin not in list');
    return i;
  };
  const left = indexOf(item.originLeft, -1);
  const right = indexOf(item.originRight, list.length);
  let dest = left + 1;
  let scanning = false;
  for (let i = left + 1; ; i++) {
    if (!scanning) dest = i;
    if (i === right || i === list.length) break;
    const o = list[i] as Item;
    const oleft = indexOf(o.originLeft, -1);
    if (oleft < left) break;
    if (oleft > left) continue;
    const oright = indexOf(o.originRight, list.length);
    if (oright < right) {
      scanning = true;
    } else if (oright === right) {
      if (idLess(item.event, o.event)) break;
      scanning = false;
    } else {
      scanning = false;
    }
  }
  list.splice(dest, 0, item);
}

/** Applies one text event at its parents' ancestor set `a` (exclusive of the event itself). */
function applyText(list: Item[], e: Event & { change: { type: 'text' } }, a: AncestorSet): void {
  const key = eventIdToString(e.id);
  // The event sees what its parents saw plus its own effects so far: its own inserts exist, its own
  // deletes hide. Both follow from testing against A ∪ {e}.
  const seen: AncestorSet = new Map(a);
  seen.set(e.id.agent, e.id.seq + 1);
  const exists = (it: Item): boolean => contains(seen, it.event);
  const visible = (it: Item): boolean => {
    if (!contains(seen, it.event)) return false;
    for (const d of it.deleters.values()) if (contains(seen, d)) return false;
    return true;
  };
  // `at` = list index just after the last visible char before the cursor (0 at the start);
  // `prev` = that visible char (null at the start).
  let at = 0;
  let prev: Item | null = null;
  let inserted = 0;
  /** Advances the cursor past `n` visible chars, calling `f` on each. */
  const skipVisible = (n: number, f: (it: Item) => void): void => {
    while (n > 0) {
      if (at >= list.length) throw new Error(`oracle: op of ${key} runs past the end of the text`);
      const it = list[at++] as Item;
      if (!visible(it)) continue;
      f(it);
      prev = it;
      n--;
    }
  };
  for (const c of opComponents(e.change.op)) {
    if (c.kind === 'retain') {
      skipVisible(c.n, () => {});
    } else if (c.kind === 'delete') {
      // Deleted chars stop being visible, so `prev` must stay the last char kept before them.
      const keep: Item | null = prev;
      skipVisible(c.n, (it) => it.deleters.set(key, e.id));
      prev = keep;
    } else {
      // Every char of the component shares the first char's originRight; each later char has the
      // previous one as originLeft.
      let right: Item | null = null;
      for (let j = prev === null ? 0 : list.indexOf(prev) + 1; j < list.length; j++) {
        if (exists(list[j] as Item)) {
          right = list[j] as Item;
          break;
        }
      }
      for (let k = 0; k < c.s.length; k++) {
        const item: Item = { event: e.id, index: inserted++, char: c.s[k] as string, originLeft: prev, originRight: right, deleters: new Map() };
        integrate(list, item);
        prev = item;
        at = list.indexOf(item) + 1;
      }
    }
  }
}

/** The text named `name` after merging all of `events` (any order, duplicates allowed). */
export function oracleText(events: readonly Event[], name: string): string {
  const { order, atParents } = prepare(events);
  const list: Item[] = [];
  for (const e of order) {
    if (e.change.type !== 'text' || e.change.name !== name) continue;
    applyText(list, e as Event & { change: { type: 'text' } }, atParents.get(eventIdToString(e.id)) as AncestorSet);
  }
  let text = '';
  for (const it of list) if (it.deleters.size === 0) text += it.char;
  return text;
}

/**
 * The map named `name` after merging all of `events`: per key, the write with the highest Lamport time
 * wins, ties to the higher agent id; a delete writes "absent".
 */
export function oracleMap(events: readonly Event[], name: string): Map<string, JsonValue> {
  const { order, lamport } = prepare(events);
  const winners = new Map<string, { l: number; agent: string; value: JsonValue | undefined }>();
  for (const e of order) {
    const c = e.change;
    if (c.type === 'text' || c.name !== name) continue;
    const l = lamport.get(eventIdToString(e.id)) as number;
    const w = winners.get(c.key);
    if (w === undefined || l > w.l || (l === w.l && e.id.agent > w.agent)) {
      winners.set(c.key, { l, agent: e.id.agent, value: c.type === 'map_set' ? c.value : undefined });
    }
  }
  const out = new Map<string, JsonValue>();
  for (const [k, w] of winners) if (w.value !== undefined) out.set(k, w.value);
  return out;
}
