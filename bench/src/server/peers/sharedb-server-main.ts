/**
 * A ShareDB server for the benchmark, run as a child process: ShareDB with its in-memory database
 * and pub/sub, the `text-unicode` OT type (ot-text-unicode), and a WebSocket server on 127.0.0.1
 * (port from PORT, 0 = any) whose connections reach ShareDB through @teamwork/websocket-json-stream.
 * Prints one JSON line with the bound port; exits on SIGTERM / SIGINT.
 */
import ShareDB from 'sharedb';
import WebSocketJSONStream from '@teamwork/websocket-json-stream';
import * as otText from 'ot-text-unicode';
import { servePeer } from './peer-server.js';

ShareDB.types.register(otText.type);
const backend = new ShareDB();
servePeer('sharedb', 'ShareDB bench server', (ws, req) => backend.listen(new WebSocketJSONStream(ws), req));
