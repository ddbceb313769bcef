/**
 * The page's `window.tandem` debug handle (apps/web/src/editor/debug-hook.ts), as the tests see
 * it: only the parts they read, typed structurally so the tests need no browser bundle types.
 */
interface TandemEditorView {
  readonly dom: HTMLElement;
  readonly scrollDOM: HTMLElement;
  readonly state: { readonly doc: { readonly length: number; toString(): string } };
  focus(): void;
  dispatch(spec: { changes?: { from: number; to?: number; insert?: string }; selection?: { anchor: number; head?: number }; userEvent?: string }): void;
  posAtDOM(node: Node, offset?: number): number;
}

/** One peer of the document (PeerMetrics in @tandem/client), the fields the tests read. */
interface TandemPeerMetrics {
  readonly connectionId: string;
  readonly userId: string;
  readonly state: 'idle' | 'connecting' | 'open' | 'failed' | 'closed';
  readonly transport: 'p2p' | 'server';
  readonly rtt: { readonly count: number; readonly p50: number | undefined; readonly p95: number | undefined };
  readonly setupMs: number | undefined;
  readonly attempts: number;
  readonly eventsReceived: number;
  readonly eventsSent: number;
  readonly refused: number;
  readonly invalid: number;
  readonly lastError: string | undefined;
}

interface TandemP2PMetrics {
  readonly enabled: boolean;
  readonly peers: readonly TandemPeerMetrics[];
  readonly eventsViaP2P: number;
  readonly eventsViaServer: number;
  readonly refused: number;
  readonly invalid: number;
  readonly ignored: number;
}

interface TandemDebugHandle {
  readonly doc: { readonly synced: boolean; readonly pendingCount: number; readonly level: string | undefined; readonly serverVersion: number };
  readonly view: TandemEditorView;
  text(): string;
  docText(): string;
  p2p(): TandemP2PMetrics;
}

interface Window {
  tandem?: TandemDebugHandle;
}
