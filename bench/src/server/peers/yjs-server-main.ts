/**
 * A y-websocket server for the benchmark, run as a child process: an HTTP server with a WebSocket
 * server on 127.0.0.1 (port from PORT, 0 = any), every connection handed to `setupWSConnection` of
 * @y/websocket-server (documents in memory, named by the URL path). Prints one JSON line with the
 * bound port; exits on SIGTERM / SIGINT.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { setupWSConnection } from '@y/websocket-server/utils';

const host = process.env['HOST'] ?? '127.0.0.1';
const port = Number(process.env['PORT'] ?? '0');

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('y-websocket bench server');
});
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => setupWSConnection(ws, req));
});
server.listen(port, host, () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', system: 'yjs', port: (server.address() as AddressInfo).port })}\n`);
});

const stop = (): void => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
