/**
 * When a proxy refuses WebSocket upgrades, the client falls back to plain HTTP (SSE down, POST up)
 * with the same protocol, syncs with clients on WebSockets, and moves back to a WebSocket once
 * upgrades get through again. The proxy here is a small HTTP forwarder of the test's own that can
 * refuse or pass upgrade requests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { TestServer } from './support/test-server.js';
import { makeClient } from './support/clients.js';
import { waitUntil } from './support/wait.js';

/** Forwards HTTP to the server; upgrades are refused with 403 unless `allowUpgrades`. */
class UpgradeBlockingProxy {
  allowUpgrades = false;
  refused = 0;
  private readonly sockets = new Set<Duplex>();
  private readonly server: Server;

  constructor(private readonly target: number) {
    this.server = createServer((req, res) => {
      const upstream = request(
        { host: '127.0.0.1', port: this.target, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
      if (!this.allowUpgrades) {
        this.refused++;
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const up = connect(this.target, '127.0.0.1', () => {
        let head1 = `${req.method} ${req.url} HTTP/1.1\r\n`;
        for (let i = 0; i < req.rawHeaders.length; i += 2) head1 += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
        up.write(`${head1}\r\n`);
        if (head.length > 0) up.write(head);
        socket.pipe(up).pipe(socket);
      });
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

let server: TestServer;
let proxy: UpgradeBlockingProxy;
let proxyUrl: string;
before(async () => {
  server = await TestServer.start();
  proxy = new UpgradeBlockingProxy(server.port);
  proxyUrl = `ws://127.0.0.1:${await proxy.listen()}/ws`;
});
after(async () => {
  await proxy.close();
  await server.stop();
});

test('upgrades refused: the client syncs over SSE + POST, then moves back to a WebSocket', async () => {
  const blocked = makeClient(proxyUrl, 'blocked', { fallbackAfterFailures: 2, upgradeProbeMs: 300 });
  const direct = makeClient(server.url, 'direct');
  try {
    const a = await blocked.open('fallback-doc');
    a.text('body').insert(0, 'typed behind a proxy');
    await waitUntil('the blocked client is connected', () => blocked.status === 'connected' && blocked.metrics.transport === 'sse');
    assert.ok(proxy.refused >= 2, `the proxy refused ${proxy.refused} upgrades`);
    await a.whenSynced(10_000);
    await server.server.services.permissions.grant('fallback-doc', 'blocked', 'direct', 'editor');
    const b = await direct.open('fallback-doc');
    await waitUntil('the direct client has the text', () => b.text('body').toString() === 'typed behind a proxy');
    b.text('body').insert(0, '» ');
    await waitUntil('the SSE client receives the edit', () => a.text('body').toString() === '» typed behind a proxy');
    // The proxy starts passing upgrades: the client notices and moves back to a WebSocket.
    proxy.allowUpgrades = true;
    await waitUntil('the client is back on a WebSocket', () => blocked.status === 'connected' && blocked.metrics.transport === 'websocket', { timeoutMs: 10_000 });
    a.text('body').insert(a.text('body').length, ' (now over WebSocket)');
    await waitUntil('both converge', () => b.text('body').toString() === '» typed behind a proxy (now over WebSocket)');
    assert.equal(a.pendingCount, 0);
  } finally {
    await blocked.close();
    await direct.close();
  }
});
