/**
 * @tandem/server: the Tandem collaboration server. Start it with `createTandemServer(config)` or the
 * `tandem-server` command.
 */
export { createTandemServer, SERVER_VERSION, sendJson } from './server.js';
export type { CreateServerOptions, HttpHandler, ServerServices, TandemServer } from './server.js';
export { defaultConfig, parseConfig, helpText, DEFAULT_PORT, DEFAULT_LIMITS } from './config.js';
export type { AuthConfig, Limits, ServerConfig } from './config.js';
export { openStore } from './storage/open-store.js';
export type { DocStore } from './storage/doc-store.js';
