/**
 * Per-connection limits over real sockets: the token-bucket rate limit (RATE_LIMITED, then close
 * 4008 on repeated abuse), most documents per connection, most events per message and components
 * per operation (refused whole, nothing applied), the slow-consumer bound (a client that stops
 * reading is disconnected and its socket released, so server memory stays bounded), heartbeats (a
 * peer that stops answering pings is dropped and leaves presence), and close code 1009.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Doc, agentId } from '@tandem/core';
import type { ServerMessage } from '@tandem/protocol';
import { pino } from 'pino';
import { withDeadline } from './support/deadline.js';
import { RawWsClient } from './support/raw-ws.js';
import { ServerSockets } from './support/server-sockets.js';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';
import type { RunningServer } from './support/test-server.js';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;
const isType =
  (type: ServerMessage['type']) =>
  (m: ServerMessage): boolean =>
    m.type === type;
const isError = (code: string) => (m: ServerMessage) => m.type === 'error' && m.code === code;
const hello = (id: string) => ({ type: 'hello', protocols: [1], devUser: { id, name: id } });

async function withServer(overrides: Parameters<typeof startTestServer>[0], body: (srv: RunningServer) => Promise<void>, options: Parameters<typeof startTestServer>[1] = {}): Promise<void> {
  const srv = await startTestServer(overrides, options);
  try {
    await body(srv);
  } finally {
    await srv.stop();
  }
}

async function rawHello(srv: RunningServer, userId: string, options: { answerPings?: boolean } = {}): Promise<RawWsClient> {
  const raw = await RawWsClient.connect(srv.server.port, options);
  raw.send(hello(userId));
  await raw.next(isType('welcome'));
  return raw;
}

async function versionOf(srv: RunningServer, docId: string, userId: string): Promise<number> {
  const c = await TestClient.hello(srv.url, userId);
  try {
    c.send({ type: 'join_session', docId });
    return (await c.next<Of<'session_joined'>>(isType('session_joined'))).version;
  } finally {
    c.close();
  }
}

describe('rate limit (token bucket)', () => {
  test('a burst past the bucket gets RATE_LIMITED, and continued abuse closes with 4008', async () => {
    await withServer({ limits: { ratePerSecond: 1, rateBurst: 5 } }, async (srv) => {
      const raw = await rawHello(srv, 'flooder');
      try {
        // Forty pings in one TCP write: the server sees them back to back.
        raw.send(...Array.from({ length: 40 }, (_, t) => ({ type: 'ping', t })));
        await withDeadline(raw.closed, 5_000, 'the flooder to be disconnected');
        // The first five were admitted (their answers may be cut off by the close); the next ones
        // are refused one by one until the strikes pass the burst size, then the connection closes.
        const pongs = raw.messages.filter(isType('pong')).length;
        const limited = raw.messages.filter(isError('RATE_LIMITED')).length;
        assert.ok(limited >= 1 && limited <= 7, `RATE_LIMITED errors come before the close (got ${limited})`);
        assert.ok(pongs <= 6, `at most the burst was served (got ${pongs} pongs)`);
        assert.ok(pongs + limited < 40, 'the rest was never handled');
        assert.equal(raw.closeCode, 4008);
      } finally {
        raw.destroy();
      }
    });
  });

  test('a short overrun is answered with RATE_LIMITED but the connection stays', async () => {
    await withServer({ limits: { ratePerSecond: 1, rateBurst: 5 } }, async (srv) => {
      const raw = await rawHello(srv, 'eager');
      try {
        raw.send(...Array.from({ length: 7 }, (_, t) => ({ type: 'ping', t })));
        await raw.next(isError('RATE_LIMITED'));
        await withDeadline(
          new Promise<void>((resolve) => {
            const check = (): void => {
              if (raw.messages.filter((m) => m.type === 'pong' || m.type === 'error').length >= 7) resolve();
            };
            raw.onFrame(check);
            check();
          }),
          5_000,
          'all seven answers',
        );
        assert.equal(raw.messages.filter(isError('RATE_LIMITED')).length, 2);
        assert.equal(raw.closeCode, undefined, 'not closed for a short overrun');
      } finally {
        raw.destroy();
      }
    });
  });
});

describe('message and document limits', () => {
  test('joining more documents than maxDocsPerConnection gets LIMIT_EXCEEDED; leaving frees a slot', async () => {
    await withServer({ limits: { maxDocsPerConnection: 3 } }, async (srv) => {
      const c = await TestClient.hello(srv.url, 'collector');
      try {
        for (const id of ['d1', 'd2', 'd3']) {
          c.send({ type: 'join_session', docId: id });
          await c.next(isType('session_joined'));
        }
        c.send({ type: 'join_session', docId: 'd4' });
        const err = await c.next<Of<'error'>>(isType('error'));
        assert.equal(err.code, 'LIMIT_EXCEEDED');
        assert.equal(err.docId, 'd4');
        c.send({ type: 'leave_session', docId: 'd1' });
        c.send({ type: 'join_session', docId: 'd4' });
        assert.equal((await c.next<Of<'session_joined'>>(isType('session_joined'))).docId, 'd4');
      } finally {
        c.close();
      }
    });
  });

  test('too many events or op components in one message are refused whole, nothing applied', async () => {
    await withServer({ limits: { maxEventsPerMessage: 3, maxOpComponents: 4 } }, async (srv) => {
      const c = await TestClient.hello(srv.url, 'batcher');
      try {
        c.send({ type: 'join_session', docId: 'big-batch' });
        await c.next(isType('session_joined'));
        const d = new Doc({ agent: agentId('batcher-1') });
        const four = [d.insert('body', 0, 'a')!, d.insert('body', 1, 'b')!, d.insert('body', 2, 'c')!, d.insert('body', 3, 'd')!];
        c.send({ type: 'operation', docId: 'big-batch', operationId: 'four', events: four });
        const e1 = await c.next<Of<'error'>>(isType('error'));
        assert.equal(e1.code, 'LIMIT_EXCEEDED');
        assert.equal(e1.ref, 'four');
        // One event whose op has five components.
        const wide = { ...four[0]!, change: { type: 'text', name: 'body', op: [{ type: 'insert', content: 'x' }, { type: 'retain', length: 0 }, { type: 'insert', content: 'y' }, { type: 'retain', length: 0 }, { type: 'insert', content: 'z' }] } };
        c.send({ type: 'operation', docId: 'big-batch', operationId: 'wide', events: [wide] });
        const e2 = await c.next<Of<'error'>>(isType('error'));
        assert.equal(e2.code, 'LIMIT_EXCEEDED');
        assert.equal(e2.ref, 'wide');
        assert.equal(await versionOf(srv, 'big-batch', 'batcher'), 0, 'nothing of the refused batches was applied');
        // Within the limits the same connection still works.
        c.send({ type: 'operation', docId: 'big-batch', operationId: 'ok', events: four.slice(0, 3) });
        assert.equal((await c.next<Of<'operation_ack'>>(isType('operation_ack'))).version, 3);
      } finally {
        c.close();
      }
    });
  });

  test('a plain OT operation with too many components is refused', async () => {
    await withServer({ limits: { maxOpComponents: 4 } }, async (srv) => {
      const c = await TestClient.hello(srv.url, 'otter');
      try {
        c.send({ type: 'join_session', docId: 'ot-wide', mode: 'ot' });
        await c.next(isType('session_joined'));
        c.send({ type: 'operation', docId: 'ot-wide', operationId: 'base', version: 0, operations: [{ type: 'insert', content: 'xyz' }] });
        await c.next(isType('operation_ack'));
        const five = [{ type: 'retain', length: 1 }, { type: 'insert', content: 'a' }, { type: 'retain', length: 1 }, { type: 'insert', content: 'b' }, { type: 'retain', length: 1 }];
        c.send({ type: 'operation', docId: 'ot-wide', operationId: 'five', version: 1, operations: five });
        const err = await c.next<Of<'error'>>(isType('error'));
        assert.equal(err.code, 'LIMIT_EXCEEDED');
        assert.equal(await versionOf(srv, 'ot-wide', 'otter'), 1);
      } finally {
        c.close();
      }
    });
  });

  test('a frame over maxMessageBytes closes the connection with 1009', async () => {
    await withServer({ limits: { maxMessageBytes: 2048 } }, async (srv) => {
      const raw = await rawHello(srv, 'bulky');
      try {
        raw.send({ type: 'ping', t: 1, pad: 'x'.repeat(4096) });
        await withDeadline(raw.closed, 5_000, 'the close');
        assert.equal(raw.closeCode, 1009);
      } finally {
        raw.destroy();
      }
    });
  });
});

describe('slow consumers and dead peers', () => {
  test('a client that stops reading is disconnected once its send buffer passes maxBufferedBytes', { timeout: 60_000 }, async () => {
    const maxBufferedBytes = 128 * 1024;
    const logs: { msg?: string; buffered?: number }[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        logs.push(JSON.parse(chunk.toString('utf8')) as { msg?: string; buffered?: number });
        done();
      },
    });
    const sockets = new ServerSockets();
    try {
      await withServer(
        { limits: { maxBufferedBytes, ratePerSecond: 100_000, rateBurst: 100_000 } },
        async (srv) => {
          // Room broadcasts: the server relays each to every member, storing nothing.
          const room = 'firehose';
          const writer = await TestClient.hello(srv.url, 'writer');
          const slow = await rawHello(srv, 'sloth');
          try {
            writer.send({ type: 'join_room', room });
            await writer.next(isType('room_joined'));
            slow.send({ type: 'join_room', room });
            await slow.next(isType('room_joined'));
            await writer.next((m) => m.type === 'user_joined' && m.peer.userId === 'sloth');
            slow.pauseReading();
            const data = 'z'.repeat(60 * 1024);
            const left = (m: ServerMessage): boolean => m.type === 'user_left' && m.userId === 'sloth';
            let pushed = 0;
            // Bounded: 128 MiB at most; the bound is 128 KiB plus what the kernel's socket buffers hold.
            for (let i = 0; i < 2048 && !writer.received.some(left); i++) {
              writer.send({ type: 'room_broadcast', room, event: 'blob', data });
              writer.send({ type: 'ping', t: i });
              await writer.next((m) => m.type === 'pong' && m.t === i);
              pushed += data.length;
            }
            await writer.next(left);
            const decision = logs.find((l) => l.msg === 'slow consumer disconnected');
            assert.ok(decision !== undefined, 'the server logged the disconnect');
            const buffered = decision.buffered ?? 0;
            assert.ok(buffered > maxBufferedBytes, 'it waited for the bound');
            assert.ok(buffered < maxBufferedBytes + 2 * data.length, `it buffered at most the bound plus one message (${buffered} bytes)`);
            // The socket itself is released while the client still reads nothing.
            await sockets.closedWithin(slow.socket.localPort ?? -1, 10_000, "the server to release the slow consumer's socket");
            slow.resumeReading();
            await withDeadline(slow.closed, 10_000, 'the slow client to see the end of the connection');
            assert.ok(slow.bytesReceived < pushed, `the slow client got ${slow.bytesReceived} of ${pushed} bytes: the rest was never buffered`);
            // The writer is unaffected.
            writer.send({ type: 'ping', t: -1 });
            assert.equal((await writer.next<Of<'pong'>>((m) => m.type === 'pong' && m.t === -1)).t, -1);
          } finally {
            writer.close();
            slow.destroy();
          }
        },
        { logger: pino({ level: 'warn' }, sink) },
      );
    } finally {
      sockets.dispose();
    }
  });

  test('a peer that stops answering pings is dropped and leaves presence', { timeout: 30_000 }, async () => {
    const sockets = new ServerSockets();
    try {
      await withServer({ limits: { heartbeatMs: 100 } }, async (srv) => {
        const docId = 'heartbeat-doc';
        const alive = await TestClient.hello(srv.url, 'alive');
        const mute = await rawHello(srv, 'mute', { answerPings: false });
        try {
          alive.send({ type: 'join_session', docId });
          await alive.next(isType('session_joined'));
          await srv.server.services.permissions.grant(docId, 'alive', 'mute', 'editor');
          mute.send({ type: 'join_session', docId });
          await mute.next(isType('session_joined'));
          await alive.next((m) => m.type === 'user_joined' && m.peer.userId === 'mute');
          await sockets.closedWithin(mute.socket.localPort ?? -1, 10_000, 'the silent peer to be dropped');
          const left = await alive.next<Of<'user_left'>>(isType('user_left'), 10_000);
          assert.equal(left.userId, 'mute');
          // The peer that answers pings survives many heartbeats.
          alive.send({ type: 'ping', t: 1 });
          assert.equal((await alive.next<Of<'pong'>>(isType('pong'))).t, 1);
          assert.equal(alive.closeCode, undefined);
        } finally {
          alive.close();
          mute.destroy();
        }
      });
    } finally {
      sockets.dispose();
    }
  });
});
