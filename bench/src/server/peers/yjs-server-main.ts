/**
 * A y-websocket server for the benchmark, run as a child process: an HTTP server with a WebSocket
 * server on 127.0.0.1 (port from PORT, 0 = any), every connection handed to `setupWSConnection` of
 * @y/websocket-server (documents in memory, named by the URL path). Prints one JSON line with the
 * bound port; exits on SIGTERM / SIGINT.
 */
import { setupWSConnection } from '@y/websocket-server/utils';
import { servePeer } from './peer-server.js';

servePeer('yjs', 'y-websocket bench server', (ws, req) => setupWSConnection(ws, req));
