/**
 * Scale-out, document presence under churn: two real server processes on one PostgreSQL schema and
 * one Redis. A node re-reads another node's presence snapshots when it opens a document's presence
 * (its first local user arrives) and when it hears a node again after judging it dead (a stalled
 * process); the other node's users keep changing their presence all the while. Every client must
 * end up seeing every other user of its document with the last state that user sent: a relay that
 * lands while a snapshot read is in flight must be neither lost nor allowed to hide the snapshot
 * (issue 6: a member relayed during the read was left out of the room for good).
 *
 * The users stream presence updates paced by round trips (update, ping, next update on the pong),
 * so relays keep arriving through every snapshot read without any timer in the test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PresencePeer, ServerMessage } from '@tandem/protocol';
import { grantDocs, requireRedis, startCluster, REDIS_URL } from './support/cluster-harness.js';
import type { Cluster } from './support/cluster-harness.js';
import { untilEvent } from './support/deadline.js';
import { dropSchemas, requirePostgres, uniqueSchema } from './support/postgres.js';
import { TestClient } from './support/test-client.js';

/** Streams run far above the default message rate; the limit is not what is tested here. */
const RATE = ['--rate-per-second', '1000000', '--rate-burst', '1000000'];
/** Round trips each streaming user keeps going after the moment of interest, so relays overlap it. */
const TAIL = 150;
const WAIT_MS = 20_000;

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/** Every change of any client, for waits that re-check their condition on events. */
class Changes {
  private readonly listeners = new Set<() => void>();
  fire(): void {
    for (const l of [...this.listeners]) l();
  }
  until(condition: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
    return untilEvent(
      (l) => {
        this.listeners.add(l);
        return () => this.listeners.delete(l);
      },
      condition,
      ms,
      what,
    );
  }
}

/** A presence-only client on one document: what it sees of the others, and a paced stream of its own activity. */
class PresenceUser {
  /** Other users as this client sees them. */
  readonly view = new Map<string, PresencePeer>();
  /** Users this client saw leave (their node was judged dead). */
  readonly sawLeave = new Set<string>();
  /** The activity this client last sent. */
  activity: string;
  roundTrips = 0;
  readonly errors: ServerMessage[] = [];
  private streaming = false;
  private sent = 0;

  private constructor(
    private readonly client: TestClient,
    readonly userId: string,
    readonly docId: string,
    private readonly changes: Changes,
  ) {
    this.activity = `${userId}-joined`;
  }

  static async join(url: string, userId: string, docId: string, changes: Changes): Promise<PresenceUser> {
    const client = await TestClient.hello(url, userId);
    const u = new PresenceUser(client, userId, docId, changes);
    client.send({ type: 'join_session', docId, presence: { activity: u.activity } });
    const joined = await client.next<Of<'session_joined'> | Of<'error'>>((m) => (m.type === 'session_joined' || m.type === 'error') && m.docId === docId, WAIT_MS);
    if (joined.type !== 'session_joined') throw new Error(`${userId} could not join ${docId}: ${JSON.stringify(joined)}`);
    for (const p of joined.activeUsers) u.view.set(p.userId, p);
    client.ws.on('message', () => u.drain());
    u.drain();
    return u;
  }

  /** Sends a new activity after every round trip until `stop`. */
  stream(): void {
    if (this.streaming) return;
    this.streaming = true;
    this.step();
  }

  /** Ends the stream with one last, recognisable activity. */
  stop(): void {
    this.streaming = false;
    this.share(`${this.userId}-final`);
  }

  close(): void {
    this.streaming = false;
    this.client.close();
  }

  private step(): void {
    this.share(`${this.userId}-${++this.sent}`);
    this.client.send({ type: 'ping', t: this.sent });
  }

  private share(activity: string): void {
    this.activity = activity;
    this.client.send({ type: 'presence_update', scope: 'doc', id: this.docId, state: { activity } });
  }

  private drain(): void {
    for (const m of this.client.received.splice(0)) {
      if (m.type === 'pong') {
        this.roundTrips++;
        if (this.streaming) this.step();
      } else if ((m.type === 'user_joined' || m.type === 'presence') && m.scope === 'doc' && m.id === this.docId) {
        this.view.set(m.peer.userId, m.peer);
      } else if (m.type === 'user_left' && m.scope === 'doc' && m.id === this.docId) {
        this.view.delete(m.userId);
        this.sawLeave.add(m.userId);
      } else if (m.type === 'error') {
        this.errors.push(m);
      }
    }
    this.changes.fire();
  }
}

/** Each user sees every other user of `users` with the activity that user sent last. */
function converged(users: readonly PresenceUser[]): boolean {
  return users.every((u) => u.view.size === users.length - 1 && users.every((o) => o === u || u.view.get(o.userId)?.activity === o.activity));
}

/** Who sees whom with what, for failure messages. */
function describeViews(users: readonly PresenceUser[]): string {
  return users
    .map((u) => {
      const seen = users.filter((o) => o !== u).map((o) => `${o.userId}=${u.view.get(o.userId)?.activity ?? '(absent)'}${u.view.get(o.userId)?.activity === o.activity ? '' : ` (sent ${o.activity})`}`);
      return `${u.userId} sees ${seen.join(', ')}`;
    })
    .join('\n');
}

if ((await requirePostgres('cluster presence')) && (await requireRedis('cluster presence'))) {
  describe('cluster: document presence while snapshots are read', () => {
    const schema = uniqueSchema('cpres');
    let cluster: Cluster;
    const open: PresenceUser[] = [];
    before(async () => {
      cluster = await startCluster(2, schema, REDIS_URL, RATE);
    });
    after(async () => {
      for (const u of open) u.close();
      await cluster?.stop();
      await dropSchemas([schema]);
    });

    test('a node opening a document sees the other node’s users with their latest state, though they change during the read', { timeout: 120_000 }, async () => {
      const ROUNDS = 10;
      const docs = Array.from({ length: ROUNDS }, (_, i) => `open-${i}`);
      const names = (doc: number): { there: string[]; here: string[] } => ({ there: ['a', 'b', 'c', 'd'].map((x) => `t${doc}${x}`), here: [`h${doc}a`, `h${doc}b`] });
      await grantDocs(schema, new Map(docs.map((d, i) => [d, [...names(i).there, ...names(i).here]])));
      const changes = new Changes();
      const [n0, n1] = cluster.nodes;
      for (let i = 0; i < ROUNDS; i++) {
        const { there, here } = names(i);
        // Users on n1 first, streaming; then the document's first users on n0, whose arrival makes
        // n0 open the document's presence and read n1's snapshot while n1's relays keep coming.
        const streaming = await Promise.all(there.map((u) => PresenceUser.join(n1!.url, u, docs[i]!, changes)));
        open.push(...streaming);
        for (const u of streaming) u.stream();
        await changes.until(() => streaming.every((u) => u.roundTrips >= 20), `the users of ${docs[i]} on n1 to be streaming`);
        const arriving = await Promise.all(here.map((u) => PresenceUser.join(n0!.url, u, docs[i]!, changes)));
        open.push(...arriving);
        const mark = Math.max(...streaming.map((u) => u.roundTrips));
        await changes.until(() => streaming.every((u) => u.roundTrips >= mark + TAIL), `the users of ${docs[i]} on n1 to stream on`);
        for (const u of streaming) u.stop();
        const everyone = [...streaming, ...arriving];
        await changes.until(() => converged(everyone), `every user of ${docs[i]} to see the others with their last activity`).catch((e: unknown) => {
          throw new Error(`${e instanceof Error ? e.message : String(e)}\nnow:\n${describeViews(everyone)}`);
        });
        for (const u of everyone) assert.deepEqual(u.errors, [], `${u.userId} got no error`);
      }
    });

    test('after a node stalled past the node timeout, its users come back with their latest state on the other node', { timeout: 120_000 }, async () => {
      const STALLS = 3;
      const docId = 'stall';
      const there = ['s-a', 's-b', 's-c'];
      const here = ['w-a', 'w-b'];
      await grantDocs(schema, new Map([[docId, [...there, ...here]]]));
      const changes = new Changes();
      const [n0, n1] = cluster.nodes;
      const watching = await Promise.all(here.map((u) => PresenceUser.join(n1!.url, u, docId, changes)));
      const streaming = await Promise.all(there.map((u) => PresenceUser.join(n0!.url, u, docId, changes)));
      open.push(...watching, ...streaming);
      const everyone = [...streaming, ...watching];
      await changes.until(() => converged(everyone), 'everyone to see everyone before the stall');
      for (let stall = 1; stall <= STALLS; stall++) {
        const begun = Math.max(...streaming.map((u) => u.roundTrips));
        for (const u of streaming) u.stream();
        await changes.until(() => streaming.every((u) => u.roundTrips >= begun + 20), 'the users on n0 to be streaming');
        for (const w of watching) w.sawLeave.clear();
        // SIGSTOP freezes n0 as a long pause of its event loop would: n1 hears nothing, judges it
        // dead (its users leave there), and reads its snapshots again when it hears it once more.
        process.kill(n0!.pid, 'SIGSTOP');
        try {
          await changes.until(() => watching.every((w) => there.every((u) => w.sawLeave.has(u))), `n1 to judge the stalled n0 dead (stall ${stall})`);
        } finally {
          process.kill(n0!.pid, 'SIGCONT');
        }
        const mark = Math.max(...streaming.map((u) => u.roundTrips));
        await changes.until(() => streaming.every((u) => u.roundTrips >= mark + TAIL), `the users on n0 to stream on after stall ${stall}`);
        for (const u of streaming) u.stop();
        await changes.until(() => converged(everyone), `every user to see the others with their last activity after stall ${stall}`).catch((e: unknown) => {
          throw new Error(`${e instanceof Error ? e.message : String(e)}\nnow:\n${describeViews(everyone)}\n${cluster.output()}`);
        });
      }
      for (const u of everyone) assert.deepEqual(u.errors, [], `${u.userId} got no error`);
    });
  });
}
