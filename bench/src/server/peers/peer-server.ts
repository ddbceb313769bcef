/**
 * The process shell every peer server of the benchmark shares: an HTTP server with a WebSocket
 * server on HOST (default 127.0.0.1) and PORT (0 = any), each connection handed to the peer's own
 * handler; one JSON line with the bound port once listening; exit on SIGTERM / SIGINT (sockets
 * terminated, at most 2 s for the server to close).
 */
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

export function servePeer(system: string, label: string, onConnection: (ws: WebSocket, req: IncomingMessage) => void): void {
  const host = process.env['HOST'] ?? '127.0.0.1';
  const port = Number(process.env['PORT'] ?? '0');
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(label);
  });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req));
  });
  server.listen(port, host, () => {
    process.stdout.write(`${JSON.stringify({ msg: 'listening', system, port: (server.address() as AddressInfo).port })}\n`);
  });
  const stop = (): void => {
    for (const ws of wss.clients) ws.terminate();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
