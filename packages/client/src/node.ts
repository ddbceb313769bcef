/**
 * @tandem/client/node: the parts of the SDK that only run in Node (they import `node:` modules),
 * kept out of the main entry so browser bundles never see them. Re-exports the main entry too.
 */
export * from './index.js';
export { FileStorage } from './storage/file-storage.js';
export { weriftPeerConnection } from './p2p/werift-factory.js';
export type { WeriftPeerConnectionOptions } from './p2p/werift-factory.js';
