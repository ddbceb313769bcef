/**
 * Opening a long document by snapshot: a client holding nothing asks the server for the document
 * encoded, holds the same text as the writer (and its app hears it), and then edits sync both ways;
 * a client with offline edits joins by events; edits made while the snapshot is on its way merge.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { ClientMessage, ServerMessage } from '@tandem/protocol';
import type { MergeReport, TandemClient } from '../src/index.js';
import { makeClient } from './support/clients.js';
import { FaultProxy } from './support/fault-proxy.js';
import { Rng, testSeed } from './support/random.js';
import { TestServer } from './support/test-server.js';
import { waitUntil } from './support/wait.js';

let server: TestServer;
before(async () => {
  server = await TestServer.start();
});
after(async () => {
  await server.stop();
});

const EDITS = 20_000;

/** What one client sent and received: its join requests and the answers. */
interface Frames {
  readonly joins: ClientMessage[];
  readonly joined: ServerMessage[];
}

/** A `ws` WebSocket that records join_session frames sent and session_joined frames received. */
function recordingSocket(frames: Frames): typeof WebSocket {
  return class RecordingSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      this.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString('utf8')) as ServerMessage;
        if (m.type === 'session_joined') frames.joined.push(m);
      });
    }

    override send(data: unknown, ...rest: unknown[]): void {
      const m = JSON.parse(String(data)) as ClientMessage;
      if (m.type === 'join_session') frames.joins.push(m);
      (super.send as (d: unknown, ...r: unknown[]) => void)(data, ...rest);
    }
  } as unknown as typeof WebSocket;
}

function client(url: string, user: string, frames: Frames, rng: Rng): TandemClient {
  return makeClient(url, user, { WebSocket: recordingSocket(frames), random: rng.fork() });
}

describe('opening a long document by snapshot', () => {
  test('a fresh client loads a 20,000-event document from a snapshot and syncs both ways; offline and racing edits join by events', async () => {
    const rng = new Rng(testSeed('join snapshot'));
    const docId = 'long-doc';
    await server.share(docId, 'w', ['w', 'r', 'o', 'x']);
    const writerFrames: Frames = { joins: [], joined: [] };
    const writer = client(server.url, 'w', writerFrames, rng);
    const readerFrames: Frames = { joins: [], joined: [] };
    const reader = client(server.url, 'r', readerFrames, rng);
    const proxy = await FaultProxy.start(server.port, rng);
    const offlineFrames: Frames = { joins: [], joined: [] };
    const offline = client(proxy.url, 'o', offlineFrames, rng);
    const racerFrames: Frames = { joins: [], joined: [] };
    const racer = client(server.url, 'x', racerFrames, rng);
    try {
      // The writer types the history (a document that is new: it joins by events).
      const w = await writer.open(docId);
      await w.whenSynced(10_000);
      const body = w.text('body');
      for (let i = 0; i < EDITS; i++) {
        const len = body.length;
        if (len > 10 && rng.int(5) === 0) body.delete(rng.int(len - 1), 1);
        else body.insert(rng.int(len + 1), String.fromCharCode(97 + rng.int(26)));
      }
      w.map('meta').set('title', 'Long');
      await w.whenSynced(60_000);
      const expected = body.toString();
      assert.equal((await server.text(docId)).text, expected);

      // A fresh reader asks for a snapshot, gets one, and its app hears the whole text.
      const r = await reader.open(docId);
      const heard: string[] = [];
      r.text('body').on('change', (op, origin) => {
        if (origin === 'remote') for (const c of op) if (c.type === 'insert') heard.push(c.content);
      });
      const merges: MergeReport[] = [];
      r.on('merge', (m) => merges.push(m));
      await r.whenSynced(30_000);
      assert.equal(readerFrames.joins.length, 1);
      assert.equal((readerFrames.joins[0] as { snapshot?: boolean }).snapshot, true, 'the fresh reader asked for a snapshot');
      const answer = readerFrames.joined[0] as Extract<ServerMessage, { type: 'session_joined' }>;
      assert.equal(typeof answer.snapshot, 'string', 'and got one');
      assert.equal(answer.events, undefined);
      assert.equal(r.text('body').toString(), expected);
      assert.equal(r.map('meta').get('title'), 'Long');
      assert.equal(r.serverVersion, answer.version);
      assert.equal(r.replica.eventCount, answer.version);
      assert.ok(heard.includes(expected), 'the app heard the whole text as a remote change');
      assert.deepStrictEqual(merges, [{ remoteEvents: answer.version, localEvents: 0, initial: true }]);

      // Edits both ways on top of the snapshot.
      r.text('body').insert(0, '[reader]');
      body.insert(body.length, '[writer]');
      await waitUntil('reader and writer converge', () => r.text('body').toString() === body.toString() && r.synced && w.synced, { timeoutMs: 20_000 });
      assert.ok(body.toString().startsWith('[reader]') && body.toString().endsWith('[writer]'));
      // History decoded lazily from the snapshot is intact: undo of the reader's own edit works.
      assert.equal(r.undo(), true);
      await waitUntil('undo reaches the writer', () => body.toString() === `${expected}[writer]` && r.synced, { timeoutMs: 20_000 });

      // A client with offline edits joins by events and merges them.
      proxy.setDown(true);
      await waitUntil('the offline client is offline', () => offline.status !== 'connected');
      const o = await offline.open(docId);
      o.text('body').insert(0, '[offline]');
      proxy.setDown(false);
      await o.whenSynced(30_000);
      assert.ok(offlineFrames.joins.length >= 1);
      for (const j of offlineFrames.joins) assert.equal((j as { snapshot?: boolean }).snapshot, undefined, 'a client holding edits joins by events');
      await waitUntil('offline edit reaches everyone', () => body.toString() === o.text('body').toString() && r.text('body').toString() === body.toString() && w.synced, { timeoutMs: 20_000 });
      // '[offline]' was typed into an empty replica: concurrent with the whole history, it may land
      // anywhere among inserts made at the start, but whole and exactly once.
      assert.equal(body.toString().replace('[offline]', ''), `${expected}[writer]`);

      // An edit made right after opening, while the join may still be on its way, is kept.
      const x = await racer.open(docId);
      x.text('body').insert(0, '[racer]');
      await x.whenSynced(30_000);
      await waitUntil('racing edit reaches the writer', () => body.toString() === x.text('body').toString() && w.synced, { timeoutMs: 20_000 });
      // The racing insert may also have been made on an empty replica (see '[offline]').
      assert.equal(body.toString().replace('[offline]', '').replace('[racer]', ''), `${expected}[writer]`);
      assert.equal((await server.text(docId)).text, body.toString());
      console.log(`racer asked for a snapshot: ${String((racerFrames.joins[0] as { snapshot?: boolean }).snapshot === true)}, got one: ${String(typeof (racerFrames.joined[0] as { snapshot?: string }).snapshot === 'string')}`);
    } finally {
      await Promise.all([writer.close(), reader.close(), offline.close(), racer.close()]);
      await proxy.stop();
    }
  });
});
