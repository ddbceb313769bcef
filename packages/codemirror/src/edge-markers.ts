/**
 * Edge markers: when a remote cursor is scrolled out of sight, a small tab in the user's color at
 * the top or bottom edge of the editor says who is there ("▲ Ana"); clicking it scrolls to them.
 * Visibility is measured through CodeMirror's measure cycle (read layout, then write DOM) and
 * re-checked on every update and every scroll, since scrolling inside the rendered viewport
 * produces no editor update.
 */
import { EditorView, ViewPlugin, type PluginValue, type ViewUpdate } from '@codemirror/view';
import { safeColor } from './color.js';
import type { BindingContext } from './config.js';
import { shownCursors, type ShownCursor } from './peer-cursors.js';

type Edge = 'above' | 'below';

interface Placed {
  readonly cursor: ShownCursor;
  readonly edge: Edge;
}

export function edgeMarkers(ctx: BindingContext): ViewPlugin<PluginValue> {
  return ViewPlugin.define((view) => new EdgeMarkers(view, ctx));
}

class EdgeMarkers implements PluginValue {
  private readonly top: HTMLElement;
  private readonly bottom: HTMLElement;
  private readonly onScroll = (): void => this.measure();
  private readonly measureKey = {};

  constructor(
    private readonly view: EditorView,
    private readonly ctx: BindingContext,
  ) {
    this.top = this.container('top');
    this.bottom = this.container('bottom');
    view.scrollDOM.addEventListener('scroll', this.onScroll, { passive: true });
    this.measure();
  }

  update(_update: ViewUpdate): void {
    this.measure();
  }

  destroy(): void {
    this.view.scrollDOM.removeEventListener('scroll', this.onScroll);
    this.top.remove();
    this.bottom.remove();
  }

  private container(edge: 'top' | 'bottom'): HTMLElement {
    const el = document.createElement('div');
    el.className = `cm-tandem-edge cm-tandem-edge-${edge}`;
    this.view.dom.appendChild(el);
    return el;
  }

  private measure(): void {
    this.view.requestMeasure({ key: this.measureKey, read: (view) => this.read(view), write: (placed) => this.write(placed) });
  }

  private read(view: EditorView): Placed[] {
    const box = view.scrollDOM.getBoundingClientRect();
    const placed: Placed[] = [];
    for (const cursor of shownCursors(this.ctx, view.state.doc.length)) {
      let edge: Edge | undefined;
      const coords = view.coordsAtPos(cursor.head);
      if (coords === null) {
        // Not rendered at all: it lies outside the viewport CodeMirror drew.
        edge = cursor.head < view.viewport.from ? 'above' : 'below';
      } else if (coords.bottom <= box.top + 1) {
        edge = 'above';
      } else if (coords.top >= box.bottom - 1) {
        edge = 'below';
      }
      if (edge !== undefined) placed.push({ cursor, edge });
    }
    return placed;
  }

  private write(placed: readonly Placed[]): void {
    this.fill(this.top, placed.filter((p) => p.edge === 'above'));
    this.fill(this.bottom, placed.filter((p) => p.edge === 'below'));
  }

  private fill(container: HTMLElement, placed: readonly Placed[]): void {
    const signature = placed.map((p) => `${p.cursor.key}:${p.cursor.name}:${p.cursor.color}:${p.cursor.head}`).join('|');
    if (container.dataset['signature'] === signature) return;
    container.dataset['signature'] = signature;
    container.replaceChildren(
      ...placed.map((p) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'cm-tandem-edge-marker';
        button.dataset['user'] = p.cursor.key;
        button.style.backgroundColor = safeColor(p.cursor.color);
        button.textContent = `${p.edge === 'above' ? '▲' : '▼'} ${p.cursor.name}`;
        button.title = `Scroll to ${p.cursor.name}`;
        const head = p.cursor.head;
        button.addEventListener('mousedown', (e) => e.preventDefault());
        button.addEventListener('click', () => {
          this.view.dispatch({ effects: EditorView.scrollIntoView(Math.min(head, this.view.state.doc.length), { y: 'center' }) });
        });
        return button;
      }),
    );
  }
}
