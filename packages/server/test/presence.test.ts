/**
 * PresenceRoom tests: membership messages, multi-tab folding, away and TTL, invisibility,
 * throttling, cursor anchoring, room events, last-seen and limits. Time is a fake clock and
 * scheduler advanced by hand, so nothing sleeps and nothing depends on the machine's speed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonValue } from '@tandem/core';
import type { PresencePeer } from '@tandem/protocol';
import {
  PresenceRoom,
  type PresenceOutboundMessage,
  type PresenceRoomOptions,
  type PresenceUser,
} from '../src/presence/index.js';

/** A clock and scheduler that move only when told to. */
class FakeTime {
  t = 1_700_000_000_000;
  private tasks: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  private seq = 0;

  readonly now = (): number => this.t;

  readonly schedule = (delayMs: number, fn: () => void): (() => void) => {
    const task = { at: this.t + delayMs, seq: this.seq++, fn, cancelled: false };
    this.tasks.push(task);
    return () => {
      task.cancelled = true;
    };
  };

  /** Moves time forward by `ms`, running due callbacks in order at their own times. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.tasks.filter((k) => !k.cancelled && k.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.tasks = this.tasks.filter((k) => k !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
  }

  get pending(): number {
    return this.tasks.filter((k) => !k.cancelled).length;
  }
}

interface Delivery {
  readonly to: string;
  readonly at: number;
  readonly message: PresenceOutboundMessage;
}

function setup(options: Partial<PresenceRoomOptions> = {}) {
  const time = new FakeTime();
  const log: Delivery[] = [];
  const room = new PresenceRoom({
    scope: 'doc',
    id: 'doc-1',
    now: time.now,
    schedule: time.schedule,
    send: (to, message) => log.push({ to, at: time.t, message }),
    ...options,
  });
  /** Messages delivered to `conn` since the last `clear()`. */
  const inbox = (conn: string): PresenceOutboundMessage[] => log.filter((d) => d.to === conn).map((d) => d.message);
  const clear = (): void => {
    log.length = 0;
  };
  return { time, room, log, inbox, clear };
}

const alice: PresenceUser = { id: 'alice', name: 'Alice', color: '#D32F2F' };
const bob: PresenceUser = { id: 'bob', name: 'Bob', color: '#1976D2' };
const carol: PresenceUser = { id: 'carol', name: 'Carol', color: '#2E7D32' };

function ids(peers: readonly PresencePeer[]): string[] {
  return peers.map((p) => p.userId);
}

function peerOf(room: PresenceRoom, forConn: string, userId: string): PresencePeer {
  const peer = room.peers(forConn).find((p) => p.userId === userId);
  assert.ok(peer, `${userId} should be visible to ${forConn}`);
  return peer;
}

describe('PresenceRoom membership', () => {
  it('tells others about joins and leaves, never the user themself', () => {
    const { room, inbox, clear } = setup();
    const a = room.join('a1', alice);
    assert.ok(a.ok);
    assert.deepEqual(a.peers, []);
    const b = room.join('b1', bob, { activity: 'reading' });
    assert.ok(b.ok);
    assert.deepEqual(ids(b.peers), ['alice']);
    const joined = inbox('a1');
    assert.equal(joined.length, 1);
    assert.equal(joined[0]?.type, 'user_joined');
    assert.ok(joined[0]?.type === 'user_joined');
    assert.equal(joined[0].peer.userId, 'bob');
    assert.equal(joined[0].peer.activity, 'reading');
    assert.equal(joined[0].peer.status, 'online');
    assert.deepEqual(inbox('b1'), []);
    clear();
    assert.equal(room.leave('b1'), true);
    assert.deepEqual(inbox('a1'), [{ type: 'user_left', scope: 'doc', id: 'doc-1', userId: 'bob' }]);
    assert.equal(room.leave('b1'), false, 'leaving twice is a no-op');
    assert.deepEqual(room.peers('a1'), []);
  });

  it('shows a user on two tabs once', () => {
    const { room, inbox, clear } = setup();
    room.join('b1', bob);
    room.join('a1', alice);
    clear();
    room.join('a2', alice);
    assert.deepEqual(inbox('b1'), [], 'a second tab is nothing new to others');
    assert.deepEqual(ids(room.peers('b1')), ['alice']);
    assert.deepEqual(ids(room.peers('a2')), ['bob'], 'a user never sees themself');
    room.leave('a1');
    assert.deepEqual(inbox('b1'), [], 'one tab left, the user is still here');
    assert.deepEqual(ids(room.peers('b1')), ['alice']);
    room.leave('a2');
    assert.deepEqual(inbox('b1'), [{ type: 'user_left', scope: 'doc', id: 'doc-1', userId: 'alice' }]);
  });

  it('folds tabs: latest tab wins cursor and activity, online if any, typing if any', () => {
    const { time, room } = setup();
    room.join('b1', bob);
    room.join('a1', alice, { status: 'away', typing: true, activity: 'tab one' });
    time.advance(100);
    room.join('a2', alice, { cursor: { anchor: 3, head: 4 }, activity: 'tab two' });
    let peer = peerOf(room, 'b1', 'alice');
    assert.equal(peer.status, 'online');
    assert.equal(peer.typing, true);
    assert.equal(peer.activity, 'tab two');
    assert.deepEqual(peer.cursor, { anchor: 3, head: 4 });
    assert.equal(peer.lastSeen, time.t);
    time.advance(100);
    room.activity('a1');
    peer = peerOf(room, 'b1', 'alice');
    assert.equal(peer.activity, 'tab one');
    assert.equal(peer.cursor, null);
    room.update('a2', { status: 'away' });
    assert.equal(peerOf(room, 'b1', 'alice').status, 'away', 'away when every tab is');
  });
});

describe('PresenceRoom liveness', () => {
  it('marks an idle connection away and brings it back on activity', () => {
    const { time, room, inbox, clear } = setup();
    room.join('a1', alice);
    room.join('b1', bob);
    clear();
    for (const step of [20_000, 20_000, 19_999]) {
      time.advance(step);
      room.heartbeat('a1');
      room.heartbeat('b1');
      assert.deepEqual(room.tick(time.t), []);
    }
    assert.deepEqual(inbox('b1'), [], 'heartbeats keep it alive but are not activity; not idle for 60 s yet');
    room.activity('b1');
    time.advance(1); // 60 s since alice's last activity
    assert.deepEqual(room.tick(time.t), []);
    const away = inbox('b1');
    assert.equal(away.length, 1);
    assert.ok(away[0]?.type === 'presence');
    assert.equal(away[0].peer.userId, 'alice');
    assert.equal(away[0].peer.status, 'away');
    clear();
    time.advance(10);
    room.activity('a1');
    time.advance(1_000); // the away broadcast just spent alice's budget: this one waits its turn
    const back = inbox('b1');
    assert.equal(back.length, 1);
    assert.ok(back[0]?.type === 'presence');
    assert.equal(back[0].peer.status, 'online');
  });

  it('drops a silent connection after the TTL, leaving no ghost', () => {
    const { time, room, inbox, clear } = setup();
    room.join('a1', alice, { cursor: { anchor: 1, head: 1 } });
    room.join('b1', bob);
    clear();
    time.advance(29_000);
    room.heartbeat('b1');
    assert.deepEqual(room.tick(time.t), []);
    time.advance(1_000);
    assert.deepEqual(room.tick(time.t), ['a1']);
    assert.deepEqual(inbox('b1'), [{ type: 'user_left', scope: 'doc', id: 'doc-1', userId: 'alice' }]);
    assert.deepEqual(room.peers('b1'), []);
    assert.equal(room.has('a1'), false);
    assert.equal(room.size, 1);
  });

  it('hides an invisible user from others, who still sees everyone', () => {
    const { time, room, inbox, clear } = setup();
    room.join('a1', alice);
    room.join('b1', bob);
    clear();
    room.update('a1', { invisible: true });
    assert.deepEqual(inbox('b1'), [{ type: 'user_left', scope: 'doc', id: 'doc-1', userId: 'alice' }], 'hidden at once');
    assert.deepEqual(room.peers('b1'), []);
    assert.deepEqual(ids(room.peers('a1')), ['bob']);
    clear();
    time.advance(1_000);
    room.update('b1', { activity: 'writing' });
    assert.equal(inbox('a1').length, 1, 'the invisible user still gets updates');
    room.update('a1', { cursor: { anchor: 2, head: 2 } });
    room.join('a2', alice);
    assert.deepEqual(inbox('b1'), [], 'nothing leaks while hidden, not even from a new tab');
    time.advance(1_000);
    room.update('a1', { invisible: false });
    time.advance(1_000);
    const back = inbox('b1');
    assert.equal(back.length, 1);
    assert.ok(back[0]?.type === 'user_joined');
    assert.equal(back[0].peer.userId, 'alice');
    room.join('c1', carol, { invisible: true });
    assert.equal(inbox('a1').filter((m) => m.type === 'user_joined').length, 0, 'an invisible joiner is never announced');
  });
});

describe('PresenceRoom throttling', () => {
  it('sends at most 30 broadcasts per second per source and always the last state', () => {
    const { time, room, log, clear } = setup();
    room.join('a1', alice);
    room.join('b1', bob);
    clear();
    for (let i = 0; i < 100; i++) {
      assert.ok(room.update('a1', { cursor: { anchor: i, head: i } }).ok);
      time.advance(10);
    }
    time.advance(1_000);
    const cursors = log.filter((d) => d.to === 'b1' && d.message.type === 'remote_cursor');
    assert.ok(cursors.length > 1 && cursors.length <= 30, `sent ${cursors.length}`);
    for (const first of cursors) {
      const inWindow = cursors.filter((d) => d.at >= first.at && d.at < first.at + 1_000).length;
      assert.ok(inWindow <= 30, `${inWindow} broadcasts in the second from ${first.at}`);
    }
    const last = cursors.at(-1)?.message;
    assert.ok(last?.type === 'remote_cursor');
    assert.deepEqual(last.cursor, { anchor: 99, head: 99 });
    assert.deepEqual(peerOf(room, 'b1', 'alice').cursor, { anchor: 99, head: 99 });
    assert.equal(time.pending, 0);
  });

  it('coalesces a burst in one instant into the first update and the last', () => {
    const { time, room, log, clear } = setup();
    room.join('a1', alice);
    room.join('b1', bob);
    clear();
    time.advance(1_000); // past the budget alice's own join announcement spent
    for (let i = 0; i < 100; i++) room.update('a1', { activity: `step ${i}` });
    time.advance(1_000);
    const sent = log.filter((d) => d.to === 'b1').map((d) => d.message);
    assert.equal(sent.length, 2);
    assert.ok(sent[0]?.type === 'presence' && sent[1]?.type === 'presence');
    assert.equal(sent[0].peer.activity, 'step 0');
    assert.equal(sent[1].peer.activity, 'step 99');
  });

  it('drops a pending coalesced update with its connection', () => {
    const { time, room, inbox, clear } = setup();
    room.join('a1', alice);
    room.join('b1', bob);
    clear();
    room.update('a1', { activity: 'pending' });
    assert.equal(time.pending, 1);
    room.leave('a1');
    time.advance(1_000);
    assert.deepEqual(inbox('b1'), [{ type: 'user_left', scope: 'doc', id: 'doc-1', userId: 'alice' }]);
    assert.equal(time.pending, 0);
  });

  it('a joiner ends on the latest state when a change waiting for the budget is undone before it is due', () => {
    const { time, room, log } = setup();
    room.join('a1', alice, { activity: 'editing' });
    room.join('b1', bob);
    // Within the budget alice's join spent: this change waits.
    room.update('a1', { activity: 'reviewing' });
    assert.equal(time.pending, 1);
    const joined = room.join('c1', carol);
    assert.ok(joined.ok);
    // Undone before the coalesced flush: the flush finds nothing new to tell anyone.
    room.update('a1', { activity: 'editing' });
    time.advance(1_000);
    // What carol sees: her join answer, then whatever was sent to her.
    let seen = joined.peers.find((p) => p.userId === 'alice');
    for (const d of log) {
      if (d.to === 'c1' && (d.message.type === 'presence' || d.message.type === 'user_joined') && d.message.peer.userId === 'alice') seen = d.message.peer;
    }
    assert.equal(seen?.activity, 'editing');
    assert.equal(peerOf(room, 'c1', 'alice').activity, 'editing');
  });
});

describe('PresenceRoom cursors', () => {
  it('moves cursors through an insert before them and a delete around them', () => {
    const { time, room, inbox, clear } = setup({ version: 3 });
    room.join('a1', alice, { cursor: { anchor: 5, head: 5 } });
    room.join('b1', bob, { cursor: { text: 'title', anchor: 1, head: 1 } });
    clear();
    room.applyTextOp('body', [{ type: 'retain', length: 2 }, { type: 'insert', content: 'abc' }]);
    room.setVersion(4);
    assert.deepEqual(peerOf(room, 'b1', 'alice').cursor, { anchor: 8, head: 8 });
    room.applyTextOp('body', [{ type: 'retain', length: 6 }, { type: 'delete', length: 4 }]);
    room.setVersion(5);
    assert.deepEqual(peerOf(room, 'b1', 'alice').cursor, { anchor: 6, head: 6 }, 'collapsed to the deletion point');
    assert.deepEqual(peerOf(room, 'a1', 'bob').cursor, { text: 'title', anchor: 1, head: 1 }, 'another text is untouched');
    time.advance(1_000);
    room.activity('a1');
    assert.deepEqual(inbox('b1'), [], 'edits move cursors silently: clients map them too');
    room.update('a1', { cursor: { anchor: 7, head: 7 } });
    assert.deepEqual(inbox('b1'), [{ type: 'remote_cursor', docId: 'doc-1', userId: 'alice', version: 5, cursor: { anchor: 7, head: 7 } }]);
  });

  it("keeps others' cursors before text inserted at them and moves the author's past it", () => {
    const { room } = setup();
    room.join('a1', alice, { cursor: { anchor: 4, head: 9 } });
    room.join('b1', bob, { cursor: { anchor: 4, head: 4 } });
    room.applyTextOp('body', [{ type: 'retain', length: 4 }, { type: 'insert', content: 'xy' }], 'b1');
    assert.deepEqual(peerOf(room, 'b1', 'alice').cursor, { anchor: 4, head: 11 });
    assert.deepEqual(peerOf(room, 'a1', 'bob').cursor, { anchor: 6, head: 6 });
  });

  it('refuses a cursor that cannot be anchored', () => {
    const { room } = setup();
    room.join('a1', alice);
    const r = room.update('a1', { cursor: { anchor: -1, head: 0.5 } });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.code === 'BAD_MESSAGE');
  });
});

describe('PresenceRoom rooms', () => {
  it('broadcasts room events to every other connection, not the sender', () => {
    const { room, inbox, clear } = setup({ scope: 'room', id: 'team' });
    room.join('a1', alice);
    room.join('a2', alice);
    room.join('b1', bob);
    clear();
    assert.ok(room.broadcast('a1', 'goal_created', { title: 'Ship it' }).ok);
    const event = { type: 'room_event', room: 'team', from: 'alice', event: 'goal_created', data: { title: 'Ship it' } };
    assert.deepEqual(inbox('b1'), [event]);
    assert.deepEqual(inbox('a2'), [event], "the sender's other tabs show the same app");
    assert.deepEqual(inbox('a1'), []);
    const stranger = room.broadcast('zz', 'x');
    assert.ok(!stranger.ok && stranger.code === 'NOT_JOINED');
    const doc = setup().room;
    doc.join('a1', alice);
    const inDoc = doc.broadcast('a1', 'x');
    assert.ok(!inDoc.ok && inDoc.code === 'BAD_MESSAGE');
  });

  it('persists last-seen debounced per user, and always on leave', async () => {
    const touches: [string, number][] = [];
    const errors: unknown[] = [];
    const { time, room } = setup({
      scope: 'room',
      id: 'team',
      touch: async (user, at) => {
        touches.push([user, at]);
        if (user === 'bob') throw new Error('database down');
      },
      onError: (e) => errors.push(e),
    });
    const t0 = time.t;
    room.join('a1', alice);
    room.join('a2', alice);
    time.advance(10_000);
    room.activity('a1');
    room.update('a2', { typing: true });
    assert.deepEqual(touches, [['alice', t0]], 'one write per 30 s');
    time.advance(20_000);
    room.activity('a1');
    assert.deepEqual(touches.at(-1), ['alice', t0 + 30_000]);
    time.advance(1_000);
    room.leave('a2');
    assert.deepEqual(touches.at(-1), ['alice', t0 + 31_000], 'leaving always writes');
    assert.equal(touches.length, 3);
    room.join('b1', bob);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(errors.length, 1, 'a failed write is reported, not thrown');
    room.update('a1', { invisible: true });
    time.advance(60_000);
    room.activity('a1');
    room.leave('a1');
    assert.equal(touches.filter(([u]) => u === 'alice').length, 3, 'no last-seen while invisible');
  });

  it('lists offline members with their last-seen time', () => {
    const time0 = 1_700_000_000_000;
    const { time, room } = setup({
      scope: 'room',
      id: 'team',
      persisted: [
        { userId: 'dave', lastSeen: time0 - 3_600_000 },
        { userId: 'carol', lastSeen: time0 - 300_000 },
        { userId: 'alice', lastSeen: time0 - 900_000 },
      ],
    });
    room.join('a1', alice);
    let members = room.members();
    assert.deepEqual(ids(members), ['alice', 'carol', 'dave']);
    assert.equal(members[0]?.status, 'online');
    assert.equal(members[1]?.status, 'offline');
    assert.equal(members[1]?.lastSeen, time0 - 300_000);
    assert.equal(members[1]?.name, 'carol');
    assert.match(members[1]?.color ?? '', /^#[0-9A-F]{6}$/);
    time.advance(5_000);
    room.leave('a1');
    members = room.members();
    assert.deepEqual(ids(members), ['alice', 'carol', 'dave']);
    assert.deepEqual(
      { status: members[0]?.status, lastSeen: members[0]?.lastSeen, name: members[0]?.name },
      { status: 'offline', lastSeen: time0 + 5_000, name: 'Alice' },
    );
  });
});

describe('PresenceRoom limits and hostile input', () => {
  it('refuses joins beyond the member limit and oversized custom fields', () => {
    const { room, inbox } = setup({ maxMembers: 2, maxCustomBytes: 64 });
    assert.ok(room.join('a1', alice).ok);
    assert.ok(room.join('b1', bob).ok);
    const full = room.join('c1', carol);
    assert.ok(!full.ok && full.code === 'LIMIT_EXCEEDED');
    assert.equal(room.has('c1'), false);
    assert.equal(inbox('a1').filter((m) => m.type === 'user_joined' && m.peer.userId === 'carol').length, 0);
    room.leave('b1');
    const big = room.join('c1', carol, { custom: { note: 'x'.repeat(100) } });
    assert.ok(!big.ok && big.code === 'LIMIT_EXCEEDED');
    assert.ok(room.join('c1', carol, { custom: { note: 'short' } }).ok);
    const grow = room.update('c1', { custom: { note: 'y'.repeat(100) } });
    assert.ok(!grow.ok && grow.code === 'LIMIT_EXCEEDED');
    assert.deepEqual(peerOf(room, 'a1', 'carol').custom, { note: 'short' }, 'a refused update changes nothing');
  });

  it('keeps __proto__ as a user id, connection id and custom key as plain data', () => {
    const { time, room, inbox } = setup({ scope: 'room', id: '__proto__' });
    const evil: PresenceUser = { id: '__proto__', name: 'Proto', color: '#000000' };
    // JSON.parse, like the wire, makes "__proto__" an own key (a literal would set the prototype).
    const custom = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}') as {
      [key: string]: JsonValue;
    };
    room.join('b1', bob);
    assert.ok(room.join('__proto__', evil, { custom, cursor: { text: '__proto__', anchor: 0, head: 0 } }).ok);
    const joined = inbox('b1')[0];
    assert.ok(joined?.type === 'user_joined');
    assert.equal(joined.peer.userId, '__proto__');
    assert.ok(Object.hasOwn(joined.peer.custom, '__proto__'));
    assert.deepEqual(Object.keys(joined.peer.custom), ['__proto__', 'constructor']);
    room.applyTextOp('__proto__', [{ type: 'insert', content: 'a' }]);
    time.advance(1_000);
    room.update('__proto__', { custom: { ok: true } });
    assert.deepEqual(ids(room.members()).sort(), ['__proto__', 'bob']);
    room.leave('__proto__');
    assert.deepEqual(inbox('b1').at(-1), { type: 'user_left', scope: 'room', id: '__proto__', userId: '__proto__' });
    assert.equal(room.members().find((m) => m.userId === '__proto__')?.status, 'offline');
    const probe: { polluted?: unknown } = {};
    assert.equal(probe.polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    assert.equal(Object.getPrototypeOf(joined.peer.custom), Object.prototype);
  });
});
