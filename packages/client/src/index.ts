/**
 * @tandem/client: the Tandem client SDK for browsers and Node 20. Open documents that edit locally
 * at once and sync in the background — over reconnects, restarts and long offline spells, exactly
 * once — with presence and anchored cursors, tabs that share edits, and connection metrics.
 *
 * Node: pass `WebSocket` from the `ws` package, and take `FileStorage` from `@tandem/client/node`.
 */
export { TandemClient, CLIENT_INFO } from './client.js';
export type { ClientEvents } from './client.js';
export type { ClientOptions, OpenOptions } from './options.js';
export { TandemDocument } from './document/tandem-document.js';
export type { DocumentEvents } from './document/tandem-document.js';
export { TextHandle } from './document/text-handle.js';
export type { TextEvents } from './document/text-handle.js';
export { MapHandle } from './document/map-handle.js';
export type { MapEvents } from './document/map-handle.js';
export { Presence } from './presence/presence.js';
export type { PresenceSettings } from './presence/presence.js';
export type { PeerPresence, PresenceEvents } from './presence/peer-list.js';
export type { MergeReport } from './sync/document-sync.js';
export type { ConnectionStatus, NetworkHints, TokenSource } from './connection/connection.js';
export type { BackoffOptions } from './connection/backoff.js';
export type { WebSocketConstructor, WebSocketLike } from './connection/websocket-like.js';
export type { MetricsSnapshot, TransportKind } from './metrics/client-metrics.js';
export type { P2POptions } from './p2p/p2p-options.js';
export type { P2PMetricsSnapshot, PeerMetrics } from './p2p/p2p-metrics.js';
export type { DataChannelLike, IceCandidateLike, IceServer, PeerConnectionFactory, PeerConnectionLike, SessionDescriptionLike } from './p2p/peer-connection.js';
export { nativePeerConnectionFactory } from './p2p/peer-connection.js';
export type { LinkState } from './p2p/peer-link.js';
export type { LatencySummary } from './metrics/latency-window.js';
export { summarize } from './metrics/latency-window.js';
export type { ClientStorage, ServerState } from './storage/client-storage.js';
export { MemoryStorage } from './storage/memory-storage.js';
export { IndexedDbStorage } from './storage/indexeddb-storage.js';
export type { IndexedDbStorageOptions } from './storage/indexeddb-storage.js';
export { BroadcastTabChannel, parseTabMessage } from './tabs/tab-channel.js';
export type { BroadcastChannelConstructor, BroadcastTabChannelOptions, TabChannel, TabMessage, TabPresence } from './tabs/tab-channel.js';
export type { ChangeOrigin, JsonValue, TextOp } from '@tandem/core';
export type { CursorRange, PresenceState, PresenceStatus } from '@tandem/protocol';
