/**
 * Text operations derived from what the replica reports as changed, in the forms the session hands
 * to plain-OT clients: one op per text for a batch, two batches chained, and a batch with another
 * concurrent batch taken out again (for the sender of an operation that raced with another node).
 */
import { compose, normalize, transform } from '@tandem/core';
import type { AppliedChange, OpComponent, TextOp } from '@tandem/core';

/** One op per text: the text changes of the batch, composed in order (maps are left out). */
export function perTextOps(changes: readonly AppliedChange[]): Map<string, TextOp> {
  const perText = new Map<string, TextOp>();
  for (const c of changes) {
    if (c.type !== 'text') continue;
    const prev = perText.get(c.name);
    perText.set(c.name, prev === undefined ? c.op : compose(prev, c.op));
  }
  return perText;
}

/** `first` then `second`, per text. */
export function chain(first: ReadonlyMap<string, TextOp>, second: ReadonlyMap<string, TextOp>): Map<string, TextOp> {
  const out = new Map(first);
  for (const [text, op] of second) {
    const prev = out.get(text);
    out.set(text, prev === undefined ? op : compose(prev, op));
  }
  return out;
}

/**
 * `later` (made after `earlier`, but by events concurrent with it) as it applies without `earlier`:
 * text `earlier` inserted is skipped, text it deleted is stepped back over. Concurrent events never
 * touch what the other inserted, so the result is exact except for text both deleted, which it
 * leaves in place; a client that still has `earlier` in flight transforms the result against it
 * and ends where the server is, because transforming past `earlier` deletes that text again.
 */
export function exclude(later: TextOp, earlier: TextOp): TextOp {
  // The shape of earlier's inverse: contents do not matter to a transform, only lengths.
  const inverse: OpComponent[] = [];
  for (const c of normalize(earlier)) {
    if (c.type === 'retain') inverse.push(c);
    else if (c.type === 'insert') inverse.push({ type: 'delete', length: c.content.length });
    else inverse.push({ type: 'insert', content: 'x'.repeat(c.length) });
  }
  return transform(later, normalize(inverse), 'left');
}
