/**
 * Remote cursors and selections as editor decorations: a caret in the user's color with their
 * name on a label, and their selection as a translucent highlight of the same color (a mark
 * decoration, which CodeMirror splits per line, so multi-line selections render line by line).
 * Positions come from the SDK's presence, which keeps them anchored through every edit; this
 * plugin only redraws them when the document, the peers or their cursors change.
 */
import { StateEffect } from '@codemirror/state';
import { Decoration, ViewPlugin, WidgetType, type DecorationSet, type EditorView, type PluginValue, type ViewUpdate } from '@codemirror/view';
import { safeColor, translucent } from './color.js';
import type { BindingContext } from './config.js';
import { shownCursors } from './peer-cursors.js';

/** Dispatched when presence changed without an editor transaction: redraw cursors and markers. */
export const presenceChanged = StateEffect.define<null>();

class CaretWidget extends WidgetType {
  constructor(
    readonly key: string,
    readonly name: string,
    readonly color: string,
  ) {
    super();
  }

  override eq(other: CaretWidget): boolean {
    return other.key === this.key && other.name === this.name && other.color === this.color;
  }

  toDOM(): HTMLElement {
    const caret = document.createElement('span');
    caret.className = 'cm-tandem-caret';
    caret.style.borderLeftColor = safeColor(this.color);
    caret.dataset['user'] = this.key;
    caret.setAttribute('aria-label', `${this.name}'s cursor`);
    const label = document.createElement('span');
    label.className = 'cm-tandem-caret-label';
    label.style.backgroundColor = safeColor(this.color);
    label.textContent = this.name;
    // The label is decoration, not document text: keep it out of copy and screen-reader text flow.
    label.setAttribute('aria-hidden', 'true');
    caret.appendChild(label);
    return caret;
  }

  override ignoreEvent(): boolean {
    return true;
  }
}

function build(view: EditorView, ctx: BindingContext): DecorationSet {
  const ranges = [];
  for (const c of shownCursors(ctx, view.state.doc.length)) {
    const from = Math.min(c.anchor, c.head);
    const to = Math.max(c.anchor, c.head);
    if (to > from) {
      ranges.push(
        Decoration.mark({
          class: 'cm-tandem-selection',
          attributes: { style: `background-color: ${translucent(c.color, 0.25)}`, 'data-user': c.key },
        }).range(from, to),
      );
    }
    ranges.push(Decoration.widget({ widget: new CaretWidget(c.key, c.name, c.color), side: c.head >= c.anchor ? 1 : -1 }).range(c.head));
  }
  return Decoration.set(ranges, true);
}

export function remoteCursors(ctx: BindingContext): ViewPlugin<RemoteCursors> {
  return ViewPlugin.define((view) => new RemoteCursors(view, ctx), { decorations: (p) => p.decorations });
}

class RemoteCursors implements PluginValue {
  decorations: DecorationSet;

  constructor(
    view: EditorView,
    private readonly ctx: BindingContext,
  ) {
    this.decorations = build(view, ctx);
  }

  update(update: ViewUpdate): void {
    const poked = update.transactions.some((tr) => tr.effects.some((e) => e.is(presenceChanged)));
    if (update.docChanged || poked) this.decorations = build(update.view, this.ctx);
  }
}

/**
 * Tells the view whenever presence changes (peers join, leave, move their cursor, rename). Events
 * are coalesced into one redraw per microtask, which also keeps dispatching out of any update in
 * progress.
 */
export function presenceWatcher(ctx: BindingContext): ViewPlugin<PluginValue> {
  return ViewPlugin.define((view) => {
    let scheduled = false;
    let destroyed = false;
    const poke = (): void => {
      if (scheduled) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        if (!destroyed) view.dispatch({ effects: presenceChanged.of(null) });
      });
    };
    const presence = ctx.document.presence;
    const offs = [presence.on('join', poke), presence.on('leave', poke), presence.on('update', poke), presence.on('cursor', poke)];
    return {
      destroy() {
        destroyed = true;
        for (const off of offs) off();
      },
    };
  });
}
