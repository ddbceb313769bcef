/**
 * Per-document access: who holds which level, what share links grant, and the rules for changing
 * either. Every WebSocket message and REST call goes through here (`levelFor` / `authorize`), so
 * a viewer's edit is refused in one place. The data lives in the DocStore; this service owns the
 * rules the store does not know:
 * - the creator of a document is its owner;
 * - only owners change grants or links, and a document never loses its last owner;
 * - a share link counts only for its own document, while not revoked and not expired, and never
 *   grants more than 'editor' (ownership is given to a person, not to whoever holds a URL).
 */
import { docId, type DocId } from '@tandem/core';
import type { Level } from '@tandem/protocol';
import { isLevel, type DocStore, type PermissionEntry, type ShareLink } from '../storage/doc-store.js';
import { isStoreError, StoreErrorCode } from '../storage/store-error.js';
import { checkId, show } from '../storage/store-input.js';
import { can, strongerLevel, type Action } from './access.js';
import { KeyedLock } from './keyed-lock.js';
import { PermissionError } from './permission-error.js';
import { isShareTokenShaped, newShareToken } from './share-token.js';

export interface PermissionServiceOptions {
  /** Milliseconds since the epoch; injected so link expiry can be tested without waiting. */
  readonly now?: () => number;
}

export interface LevelOptions {
  /** A share-link token the client presented for this document. */
  readonly linkToken?: string;
}

/** The strongest level a share link can carry. */
const LINK_CEILING: Level = 'editor';

/** How often to draw a new token if one collides (192 random bits: in practice never). */
const TOKEN_ATTEMPTS = 3;

export class PermissionService {
  readonly #store: DocStore;
  readonly #now: () => number;
  readonly #grantLock = new KeyedLock();

  constructor(store: DocStore, options: PermissionServiceOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
  }

  /** Whether `level` allows `action` (the same table as `can` in access.ts). */
  can(level: Level | undefined, action: Action): boolean {
    return can(level, action);
  }

  /**
   * The user's level on the document: the stronger of their own grant and the share link they
   * present, if that link is valid for this document now. Undefined means no access at all.
   */
  async levelFor(doc: string, userId: string, opts: LevelOptions = {}): Promise<Level | undefined> {
    const d = checkedDoc(doc);
    const u = checkedUser(userId, doc);
    const [direct, viaLink] = await Promise.all([this.#store.getPermission(d, u), this.#linkLevel(d, opts.linkToken)]);
    return strongerLevel(direct, viaLink);
  }

  /**
   * The user's level, if it allows `action`; otherwise a PermissionError: NOT_FOUND when the
   * document does not exist, PERMISSION_DENIED when it does.
   */
  async authorize(doc: string, userId: string, action: Action, opts: LevelOptions = {}): Promise<Level> {
    const level = await this.levelFor(doc, userId, opts);
    if (level !== undefined && can(level, action)) return level;
    if (level === undefined && (await this.#store.getDocument(checkedDoc(doc))) === undefined) {
      throw new PermissionError('NOT_FOUND', `document ${show(doc)} does not exist`, { doc, user: userId });
    }
    const held = level === undefined ? 'has no access to' : `(${level}) may not ${action}`;
    throw new PermissionError('PERMISSION_DENIED', `user ${show(userId)} ${held} document ${show(doc)}`, { doc, user: userId });
  }

  /**
   * The user's level for joining: a document nobody created yet is created by its first visitor,
   * who owns it. When another join created it a moment earlier (two tabs of one user opening a new
   * document together), the level is read again, so that join is not refused as a stranger.
   */
  async levelOrCreate(doc: string, userId: string, opts: LevelOptions = {}): Promise<Level | undefined> {
    const level = await this.levelFor(doc, userId, opts);
    if (level !== undefined) return level;
    if (await this.ensureDocument(doc, userId)) return 'owner';
    return this.levelFor(doc, userId, opts);
  }

  /**
   * Creates the document with `creator` as its owner, unless it exists already. Resolves true if
   * this call created it. An existing document is left alone: the caller then checks access.
   */
  async ensureDocument(doc: string, creator: string): Promise<boolean> {
    const d = checkedDoc(doc);
    const c = checkedUser(creator, doc);
    return this.#store.createDocument(d, c, this.#now());
  }

  /** Everyone holding a grant on the document; any reader may see who else has access. */
  async collaborators(doc: string, by: string): Promise<PermissionEntry[]> {
    await this.authorize(doc, by, 'read');
    return this.#store.listPermissions(checkedDoc(doc));
  }

  /** Gives `user` the level on the document, replacing what they had. Owners only. */
  async grant(doc: string, by: string, user: string, level: Level): Promise<void> {
    if (!isLevel(level)) throw new PermissionError('BAD_MESSAGE', `unknown access level ${show(level)}`, { doc, user });
    await this.#changeGrant(doc, by, user, level);
  }

  /** Removes `user`'s grant; resolves false if they had none. Owners only. */
  async revoke(doc: string, by: string, user: string): Promise<boolean> {
    return this.#changeGrant(doc, by, user, null);
  }

  /** A new share link granting `level` (at most editor), optionally until `expiresAt` (ms). */
  async createLink(doc: string, by: string, level: Level, expiresAt?: number | null): Promise<ShareLink> {
    if (!isLevel(level)) throw new PermissionError('BAD_MESSAGE', `unknown access level ${show(level)}`, { doc, user: by });
    if (level === 'owner') {
      throw new PermissionError('PERMISSION_DENIED', `a share link cannot grant owner (document ${show(doc)})`, { doc, user: by });
    }
    const now = this.#now();
    const expiry = expiresAt ?? null;
    if (expiry !== null && (!Number.isSafeInteger(expiry) || expiry <= now)) {
      throw new PermissionError('BAD_MESSAGE', `link expiry must be a future time in ms, got ${show(expiry)}`, { doc, user: by });
    }
    await this.authorize(doc, by, 'share');
    const d = checkedDoc(doc);
    for (let attempt = 1; ; attempt++) {
      const token = newShareToken();
      try {
        await this.#store.createShareLink(d, { token, level, expiresAt: expiry, createdBy: by, createdAt: now });
        return { token, doc: d, level, expiresAt: expiry, createdBy: by, createdAt: now, revoked: false, revokedAt: null };
      } catch (e) {
        if (!isStoreError(e, StoreErrorCode.Duplicate) || attempt >= TOKEN_ATTEMPTS) throw e;
      }
    }
  }

  /**
   * Revokes a link of the document; resolves false if it was already revoked. A token of another
   * document is NOT_FOUND here, so owners of one document cannot revoke another's links.
   */
  async revokeLink(doc: string, by: string, token: string): Promise<boolean> {
    await this.authorize(doc, by, 'share');
    const link = isShareTokenShaped(token) ? await this.#store.getShareLink(token) : undefined;
    if (link === undefined || link.doc !== doc) {
      throw new PermissionError('NOT_FOUND', `document ${show(doc)} has no such share link`, { doc, user: by });
    }
    return this.#store.revokeShareLink(token, this.#now());
  }

  /** The document's links, revoked and expired ones included. Owners only: tokens are secrets. */
  async listLinks(doc: string, by: string): Promise<ShareLink[]> {
    await this.authorize(doc, by, 'share');
    return this.#store.listShareLinks(checkedDoc(doc));
  }

  /** The level a presented link grants on this document now, capped at LINK_CEILING. */
  async #linkLevel(doc: DocId, token: string | undefined): Promise<Level | undefined> {
    if (!isShareTokenShaped(token)) return undefined;
    const link = await this.#store.getShareLink(token);
    if (link === undefined || link.doc !== doc || link.revoked) return undefined;
    if (link.expiresAt !== null && this.#now() >= link.expiresAt) return undefined;
    // Links are never created with 'owner'; the cap guards against a row written some other way.
    return link.level === 'owner' ? LINK_CEILING : link.level;
  }

  /** Sets (or with null removes) a grant, keeping at least one owner. */
  async #changeGrant(doc: string, by: string, user: string, level: Level | null): Promise<boolean> {
    const d = checkedDoc(doc);
    const u = checkedUser(user, doc);
    return this.#grantLock.run(d, async () => {
      // Only a direct grant can make someone an owner; links never do.
      await this.authorize(doc, by, 'share');
      const before = await this.#store.getPermission(d, u);
      if (level === null && before === undefined) return false;
      const demotesOwner = before === 'owner' && level !== 'owner';
      if (demotesOwner && (await this.#ownerCount(d)) <= 1) throw lastOwner(doc, user);
      await this.#store.setPermission(d, u, level);
      // The lock covers this process only; another server process may have demoted the other
      // owner meanwhile. Re-check and put the grant back rather than leave the document ownerless.
      if (demotesOwner && (await this.#ownerCount(d)) === 0) {
        await this.#store.setPermission(d, u, before);
        throw lastOwner(doc, user);
      }
      return true;
    });
  }

  async #ownerCount(doc: DocId): Promise<number> {
    return (await this.#store.listPermissions(doc)).filter((p) => p.level === 'owner').length;
  }
}

function lastOwner(doc: string, user: string): PermissionError {
  return new PermissionError('PERMISSION_DENIED', `user ${show(user)} is the last owner of document ${show(doc)} and cannot be removed`, {
    doc,
    user,
  });
}

/**
 * Ids go through the store's own validation (one definition of a storable id), with its refusal
 * turned into a PermissionError so callers handle one error type.
 */
function checked(v: string, what: string, where: { doc?: string; user?: string }): string {
  try {
    return checkId(v, what);
  } catch (e) {
    if (isStoreError(e, StoreErrorCode.InvalidArgument)) throw new PermissionError('BAD_MESSAGE', e.message, where);
    throw e;
  }
}

function checkedDoc(doc: string): DocId {
  return docId(checked(doc, 'document id', { doc }));
}

function checkedUser(user: string, doc: string): string {
  return checked(user, 'user id', { doc, user });
}
