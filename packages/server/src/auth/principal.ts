/**
 * Who is on the other end of a connection or REST call, once authenticated, and the rules that
 * turn untrusted identity input (a JWT's claims, a dev-mode client's self-chosen name) into one.
 * Both the JWT and the dev path go through the same checks, so the rest of the server can treat
 * every `Principal` alike: ids it can store and compare exactly, names it can show to others.
 */
import { colorForUser } from './user-color.js';

export interface Principal {
  /** Stable user id: the JWT `sub`, or the dev-mode self-chosen id. */
  readonly userId: string;
  /** Display name shown to collaborators. */
  readonly name: string;
  /** `#RRGGBB`, derived from the user id (see user-color.ts). */
  readonly color: string;
  /** True when the identity was self-asserted in dev mode (never trust it for real access). */
  readonly dev: boolean;
}

/** OpenID Connect caps `sub` at 255 ASCII characters; a longer one is not from a real issuer. */
export const MAX_SUBJECT_LENGTH = 255;
/** Dev-mode ids are typed by people; 128 is plenty and keeps logs readable. */
export const MAX_DEV_USER_ID_LENGTH = 128;
/** Longest display name kept; longer ones are cut (names are decoration, not identity). */
export const MAX_NAME_LENGTH = 128;

/**
 * Control characters could forge log lines or break terminal output; a lone surrogate cannot be
 * stored as UTF-8 (the databases would change it, and two ids would silently become one).
 */
const BAD_ID_CHAR = /[\p{Cc}\p{Cs}]/u;
/** Bidi overrides in a name let one user make their name render as someone else's. */
const NAME_STRIP = /[\p{Cc}\p{Cs}\u202A-\u202E\u2066-\u2069]/gu;

/** Why a user id is unusable, or undefined if it is fine. */
export function userIdProblem(id: unknown, max: number): string | undefined {
  if (typeof id !== 'string') return `must be a string, got ${id === null ? 'null' : typeof id}`;
  if (id.length === 0 || id.length > max) return `must be 1..${max} characters, got ${id.length}`;
  if (BAD_ID_CHAR.test(id)) return 'contains a control character or an unpaired surrogate';
  return undefined;
}

/** A name fit to show others, or undefined if nothing usable is left of the input. */
export function cleanName(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let name = raw.replace(NAME_STRIP, '').trim();
  if (name.length === 0) return undefined;
  if (name.length > MAX_NAME_LENGTH) {
    name = name.slice(0, MAX_NAME_LENGTH);
    // Do not leave half of a surrogate pair at the cut.
    if (/[\uD800-\uDBFF]$/.test(name)) name = name.slice(0, -1);
  }
  return name;
}

/** Builds a principal from an already validated id; the name falls back to (a cleaned) id. */
export function makePrincipal(userId: string, name: string | undefined, dev: boolean): Principal {
  return { userId, name: name ?? cleanName(userId) ?? userId, color: colorForUser(userId), dev };
}
