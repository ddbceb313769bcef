/**
 * Who is signed in, kept in localStorage so a reload (or an offline start) needs no sign-in:
 * either a JWT (for servers with authentication; its `sub` and `name` claims are read for
 * display only, the server verifies it) or, on a dev-mode server, a chosen display name whose
 * slug is the user id (so "Ana" is user `ana`, which is the id others share documents with).
 */

export type Session =
  | { readonly kind: 'dev'; readonly userId: string; readonly name: string }
  | { readonly kind: 'jwt'; readonly token: string; readonly userId: string; readonly name: string; readonly expiresAt: number | undefined };

const KEY = 'tandem.session';

export function loadSession(): Session | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    if (raw === null) return undefined;
    const parsed: unknown = JSON.parse(raw);
    if (!isSession(parsed)) return undefined;
    // An expired token would only be refused by the server: ask for a new one instead.
    if (parsed.kind === 'jwt' && parsed.expiresAt !== undefined && parsed.expiresAt <= Date.now()) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session === undefined) localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, JSON.stringify(session));
}

/** The user id a display name stands for on a dev-mode server. */
export function devUserId(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return slug.length > 0 ? slug : 'guest';
}

export function devSession(name: string): Session {
  const clean = name.trim().slice(0, 128);
  return { kind: 'dev', userId: devUserId(clean), name: clean };
}

/** A session from a JWT; throws with a readable message when it is not a JWT or has expired. */
export function jwtSession(token: string): Session {
  const t = token.trim();
  const parts = t.split('.');
  if (parts.length !== 3) throw new Error('That is not a JWT (it should have three parts separated by dots).');
  let claims: Record<string, unknown>;
  try {
    const json = atob(parts[1]!.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const decoded: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof decoded !== 'object' || decoded === null) throw new Error('not an object');
    claims = decoded as Record<string, unknown>;
  } catch {
    throw new Error('The token payload could not be read.');
  }
  const sub = typeof claims['sub'] === 'string' ? claims['sub'] : undefined;
  if (sub === undefined) throw new Error('The token has no `sub` claim (the user id).');
  const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : undefined;
  if (exp !== undefined && exp <= Date.now()) throw new Error('The token has expired.');
  const name = typeof claims['name'] === 'string' ? claims['name'] : typeof claims['preferred_username'] === 'string' ? claims['preferred_username'] : sub;
  return { kind: 'jwt', token: t, userId: sub, name, expiresAt: exp };
}

function isSession(v: unknown): v is Session {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  if (typeof s['userId'] !== 'string' || typeof s['name'] !== 'string') return false;
  return s['kind'] === 'dev' || (s['kind'] === 'jwt' && typeof s['token'] === 'string');
}
