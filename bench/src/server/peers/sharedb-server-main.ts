/**
 * A ShareDB server for the benchmark, run as a child process: ShareDB with its in-memory database
 * and pub/sub, the `text-unicode` OT type (ot-text-unicode), and a WebSocket server on 127.0.0.1
 * (port from PORT, 0 = any) whose connections reach ShareDB through @teamwork/websocket-json-stream.
 * Prints one JSON line with the bound port; exits on SIGTERM / SIGINT.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import ShareDB from 'sharedb';
import WebSocketJSONStream from '@teamwork/websocket-json-stream';
import * as otText from 'ot-text-unicode';

const host = process.env['HOST'] ?? '127.0.0.1';
const port = Number(process.env['PORT'] ?? '0');

ShareDB.types.register(otText.type);
const backend = new ShareDB();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('ShareDB bench server');
});
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    backend.listen(new WebSocketJSONStream(ws), req);
  });
});
server.listen(port, host, () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', system: 'sharedb', port: (server.address() as AddressInfo).port })}\n`);
});

const stop = (): void => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
