/**
 * Structural equality of changes: used to tell a harmless resend of an event (same id, same payload)
 * from a conflicting one (same id, different payload), which must be rejected, never merged.
 */
import type { Change, JsonValue } from './event.js';
import { normalize } from './text-op.js';
import type { TextOp } from './text-op.js';

export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i] as JsonValue, b[i] as JsonValue)) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ob = b as { readonly [key: string]: JsonValue };
  const oa = a as { readonly [key: string]: JsonValue };
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(ob, k)) return false;
    if (!jsonEqual(oa[k], ob[k])) return false;
  }
  return true;
}

export function opEqual(a: TextOp, b: TextOp): boolean {
  const na = normalize(a);
  const nb = normalize(b);
  if (na.length !== nb.length) return false;
  for (let i = 0; i < na.length; i++) {
    const x = na[i]!;
    const y = nb[i]!;
    if (x.type !== y.type) return false;
    if (x.type === 'insert' ? x.content !== (y as typeof x).content : x.length !== (y as typeof x).length) return false;
  }
  return true;
}

export function changeEqual(a: Change, b: Change): boolean {
  if (a.type !== b.type || a.name !== b.name) return false;
  switch (a.type) {
    case 'text':
      return opEqual(a.op, (b as typeof a).op);
    case 'map_set':
      return a.key === (b as typeof a).key && jsonEqual(a.value, (b as typeof a).value);
    case 'map_delete':
      return a.key === (b as typeof a).key;
  }
}
