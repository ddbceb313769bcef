/**
 * Publishes this user's side of presence from the editor: the main selection as the cursor
 * (anchor and head, so a selection shows as one), and a typing flag that is set by local edits and
 * cleared after a short pause. Sending is the SDK's job — it throttles, coalesces, and converts
 * offsets for the server — so this only reports every change.
 *
 * The cursor is kept when the editor loses focus: a collaborator who clicks a toolbar button is
 * still "there", and clearing it would make their caret flicker for everyone else.
 */
import { ViewPlugin, type EditorView, type PluginValue, type ViewUpdate } from '@codemirror/view';
import type { CursorRange } from '@tandem/client';
import { fromTandem, type BindingContext } from './config.js';

export interface LocalPresenceOptions {
  /** Publish `typing: true` while the user types (default true). */
  readonly typing: boolean;
  /** Quiet time after which typing is over, ms. */
  readonly typingIdleMs: number;
}

export function localPresence(ctx: BindingContext, options: LocalPresenceOptions): ViewPlugin<PluginValue> {
  return ViewPlugin.define((view) => new LocalPresence(view, ctx, options));
}

class LocalPresence implements PluginValue {
  private typing = false;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    view: EditorView,
    private readonly ctx: BindingContext,
    private readonly options: LocalPresenceOptions,
  ) {
    this.publish(view);
  }

  update(update: ViewUpdate): void {
    let localEdit = false;
    let localSelection = false;
    for (const tr of update.transactions) {
      // Remote edits move my cursor too, but the SDK already moves it for them, and reporting it
      // would count as my activity (no one would ever turn "away" while others type).
      if (tr.annotation(fromTandem) !== undefined) continue;
      if (tr.docChanged) localEdit = true;
      if (tr.selection !== undefined || tr.docChanged) localSelection = true;
    }
    if (localSelection) this.publish(update.view);
    if (localEdit && this.options.typing) this.typed();
  }

  destroy(): void {
    if (this.typingTimer !== undefined) clearTimeout(this.typingTimer);
    if (this.typing) this.ctx.document.presence.update({ typing: false });
    this.ctx.document.presence.setCursor(null);
  }

  private publish(view: EditorView): void {
    const main = view.state.selection.main;
    const cursor: CursorRange =
      this.ctx.cursorText === undefined ? { anchor: main.anchor, head: main.head } : { text: this.ctx.cursorText, anchor: main.anchor, head: main.head };
    const current = this.ctx.document.presence.cursor;
    if (current !== null && current.anchor === cursor.anchor && current.head === cursor.head && current.text === cursor.text) return;
    this.ctx.document.presence.setCursor(cursor);
  }

  private typed(): void {
    if (!this.typing) {
      this.typing = true;
      this.ctx.document.presence.update({ typing: true });
    }
    if (this.typingTimer !== undefined) clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => {
      this.typingTimer = undefined;
      this.typing = false;
      this.ctx.document.presence.update({ typing: false });
    }, this.options.typingIdleMs);
  }
}
