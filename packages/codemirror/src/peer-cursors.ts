/**
 * Which remote cursors an editor shows: the peers of the document's presence whose cursor is in
 * this text, with offsets clamped to the editor's document (a cursor can briefly point past the
 * end while an edit that shortened the text is in flight). Shared by the cursor decorations and
 * the off-screen edge markers so the two always agree.
 */
import type { PeerPresence } from '@tandem/client';
import type { BindingContext } from './config.js';

export interface ShownCursor {
  readonly key: string;
  readonly name: string;
  readonly color: string;
  readonly anchor: number;
  readonly head: number;
  /** This profile's other tab rather than another user. */
  readonly otherTab: boolean;
}

export function shownCursors(ctx: BindingContext, docLength: number): ShownCursor[] {
  const shown: ShownCursor[] = [];
  for (const peer of ctx.document.presence.others) {
    const cursor = peer.cursor;
    if (cursor === null || (cursor.text ?? 'body') !== ctx.text.name) continue;
    const clamp = (n: number): number => Math.max(0, Math.min(docLength, n));
    shown.push({ key: peer.key, name: displayName(peer), color: peer.color, anchor: clamp(cursor.anchor), head: clamp(cursor.head), otherTab: peer.via === 'tab' });
  }
  return shown;
}

function displayName(peer: PeerPresence): string {
  return peer.via === 'tab' ? `${peer.name} (other tab)` : peer.name;
}
