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

interface TandemDebugHandle {
  readonly doc: { readonly synced: boolean; readonly pendingCount: number; readonly level: string | undefined; readonly serverVersion: number };
  readonly view: TandemEditorView;
  text(): string;
  docText(): string;
}

interface Window {
  tandem?: TandemDebugHandle;
}
