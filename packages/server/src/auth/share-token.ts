/**
 * The secret in a share link. Whoever holds it gets the link's level, so it must be unguessable:
 * 24 bytes from the OS CSPRNG (192 bits) encoded as 32 base64url characters, safe in a URL
 * without escaping.
 */
import { randomBytes } from 'node:crypto';

export const SHARE_TOKEN_BYTES = 24;

export function newShareToken(): string {
  return randomBytes(SHARE_TOKEN_BYTES).toString('base64url');
}

/**
 * Whether a client-supplied string could be a share token at all. Anything else is refused
 * before it reaches the database: no lookup for junk, and no storage error for an unstorable id.
 * Deliberately looser than what newShareToken makes, so a future change of length keeps old
 * links working.
 */
export function isShareTokenShaped(token: unknown): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]{16,512}$/.test(token);
}
