/**
 * What a connection may do before it is trusted, over real sockets: the bounded queue and bounded
 * time before `hello` (close 1008), header timeouts against slowloris requests, the `Origin`
 * allow-list (403 on upgrade), JWT authentication (a bad or expired token closes with 1008, a good
 * one is accepted, in the hello message or the Authorization header), and the connection cap.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import type { ServerMessage } from '@tandem/protocol';
import { withDeadline } from './support/deadline.js';
import { RawWsClient, textFrame } from './support/raw-ws.js';
import { TestClient } from './support/test-client.js';
import { startTestServer } from './support/test-server.js';
import type { RunningServer } from './support/test-server.js';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;
const isType =
  (type: ServerMessage['type']) =>
  (m: ServerMessage): boolean =>
    m.type === type;

async function withServer(overrides: Parameters<typeof startTestServer>[0], body: (srv: RunningServer) => Promise<void>): Promise<void> {
  const srv = await startTestServer(overrides);
  try {
    await body(srv);
  } finally {
    await srv.stop();
  }
}

/** The HTTP status of a refused WebSocket upgrade, or 101 when it opened. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return withDeadline(
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        ws.terminate();
      });
      ws.once('error', reject);
    }),
    5_000,
    `the upgrade answer for ${JSON.stringify(headers)}`,
  );
}

describe('before the handshake', () => {
  test('more messages than maxPreHandshakeMessages before hello close the connection with 1008', async () => {
    await withServer({ limits: { maxPreHandshakeMessages: 4 } }, async (srv) => {
      // hello plus ten pings in one TCP write: all arrive before the handshake can complete.
      const raw = await RawWsClient.connect(srv.server.port);
      try {
        raw.send({ type: 'hello', protocols: [1], devUser: { id: 'hasty' } }, ...Array.from({ length: 10 }, (_, t) => ({ type: 'ping', t })));
        await withDeadline(raw.closed, 5_000, 'the close');
        assert.equal(raw.closeCode, 1008);
        assert.equal(raw.messages.filter(isType('pong')).length, 0, 'nothing queued was served');
      } finally {
        raw.destroy();
      }
      // Garbage before hello counts too: it is answered, but cannot be sent forever.
      const junk = await RawWsClient.connect(srv.server.port);
      try {
        junk.socket.write(Buffer.concat(Array.from({ length: 10 }, () => textFrame('{not json'))));
        await withDeadline(junk.closed, 5_000, 'the close');
        assert.equal(junk.closeCode, 1008);
        assert.ok(junk.messages.filter((m) => m.type === 'error' && m.code === 'BAD_MESSAGE').length <= 4);
      } finally {
        junk.destroy();
      }
    });
  });

  test('a connection that never completes hello is closed with 1008 after the handshake timeout', async () => {
    await withServer({ limits: { handshakeTimeoutMs: 150 } }, async (srv) => {
      const raw = await RawWsClient.connect(srv.server.port);
      try {
        await withDeadline(raw.closed, 5_000, 'the handshake timeout');
        assert.equal(raw.closeCode, 1008);
      } finally {
        raw.destroy();
      }
    });
  });

  test('a request whose headers trickle in (slowloris) is cut off after headersTimeoutMs', { timeout: 30_000 }, async () => {
    await withServer({ limits: { headersTimeoutMs: 300 } }, async (srv) => {
      const socket = connect(srv.server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      const request = `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Padding: ${'p'.repeat(4096)}`;
      let sent = 0;
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      // One header byte every 100 ms: the attack itself, not a wait. Bounded by the request length.
      const drip = setInterval(() => {
        if (sent < request.length && socket.writable) socket.write(request[sent++]!);
      }, 100);
      try {
        await withDeadline(new Promise<void>((resolve) => socket.once('close', () => resolve())), 10_000, 'the server to cut the slow request off');
        assert.ok(sent < request.length, 'cut off before the headers were complete');
        assert.ok(answer === '' || answer.startsWith('HTTP/1.1 408'), `answered with nothing or 408, got ${JSON.stringify(answer.slice(0, 40))}`);
      } finally {
        clearInterval(drip);
        socket.destroy();
      }
    });
  });
});

describe('Origin restriction', () => {
  test('browser connections from an origin not in allowedOrigins get 403; allowed and non-browser ones connect', async () => {
    await withServer({ allowedOrigins: ['https://app.example'] }, async (srv) => {
      assert.equal(await upgradeStatus(srv.url, { Origin: 'https://evil.example' }), 403);
      assert.equal(await upgradeStatus(srv.url, { Origin: 'https://app.example.evil.example' }), 403);
      assert.equal(await upgradeStatus(srv.url, { Origin: 'https://app.example' }), 101);
      assert.equal(await upgradeStatus(srv.url, {}), 101);
    });
  });
});

describe('JWT authentication (HS256)', () => {
  const secret = 'a-test-secret-that-is-long-enough-0123456789';
  const sign = (key: string, sub: string, expires: string | number): Promise<string> =>
    new SignJWT({ name: `User ${sub}` }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime(expires).sign(new TextEncoder().encode(key));

  test('a bad or expired token is refused with UNAUTHENTICATED and close 1008; a good one is accepted', async () => {
    await withServer({ auth: { mode: 'hs256', secret } }, async (srv) => {
      const cases: [string, string][] = [
        ['wrong secret', await sign('another-secret-of-enough-length-0123456789', 'mallory', '5m')],
        ['expired', await sign(secret, 'late', Math.floor(Date.now() / 1000) - 3600)],
        ['not a JWT', 'not.a.jwt'],
      ];
      for (const [why, token] of cases) {
        const c = await TestClient.connect(srv.url);
        try {
          c.send({ type: 'hello', protocols: [1], token });
          assert.equal((await c.next<Of<'error'>>(isType('error'))).code, 'UNAUTHENTICATED', why);
          await withDeadline(c.closed, 5_000, `the close (${why})`);
          assert.equal(c.closeCode, 1008, why);
        } finally {
          c.close();
        }
      }
      // Dev-mode self-naming does not work when a secret is configured.
      const dev = await TestClient.connect(srv.url);
      try {
        dev.send({ type: 'hello', protocols: [1], devUser: { id: 'admin' } });
        assert.equal((await dev.next<Of<'error'>>(isType('error'))).code, 'UNAUTHENTICATED');
        await withDeadline(dev.closed, 5_000, 'the close');
        assert.equal(dev.closeCode, 1008);
      } finally {
        dev.close();
      }
      const good = await TestClient.connect(srv.url);
      try {
        good.send({ type: 'hello', protocols: [1], token: await sign(secret, 'jo', '5m') });
        const welcome = await good.next<Of<'welcome'>>(isType('welcome'));
        assert.equal(welcome.user.id, 'jo');
        assert.equal(welcome.user.name, 'User jo');
        good.send({ type: 'join_session', docId: 'jwt-doc' });
        assert.equal((await good.next<Of<'session_joined'>>(isType('session_joined'))).level, 'owner');
      } finally {
        good.close();
      }
      const header = await TestClient.connect(srv.url, { Authorization: `Bearer ${await sign(secret, 'kim', '5m')}` });
      try {
        header.send({ type: 'hello', protocols: [1] });
        assert.equal((await header.next<Of<'welcome'>>(isType('welcome'))).user.id, 'kim');
      } finally {
        header.close();
      }
    });
  });
});

describe('connection cap', () => {
  test('upgrades past maxConnections get 503', async () => {
    await withServer({ limits: { maxConnections: 2 } }, async (srv) => {
      const a = await TestClient.hello(srv.url, 'a');
      const b = await TestClient.hello(srv.url, 'b');
      try {
        assert.equal(await upgradeStatus(srv.url, {}), 503);
      } finally {
        a.close();
        b.close();
      }
      await Promise.all([a.closed, b.closed]);
    });
  });
});
