/**
 * What each access level allows, in one table, so every message handler and REST route asks the
 * same question (`can(level, action)`) instead of comparing level names itself.
 */
import { LEVELS, type Level } from '@tandem/protocol';

export const ACTIONS = ['read', 'comment', 'edit', 'share', 'manage'] as const;
/**
 * read: see the text, history and presence; comment: add comments; edit: change the document;
 * share: grant and revoke access, create and revoke links; manage: everything else about the
 * document itself (restore, delete, settings).
 */
export type Action = (typeof ACTIONS)[number];

/** The weakest level that may perform each action; levels are ordered, so stronger ones may too. */
const WEAKEST_ALLOWED: { readonly [A in Action]: Level } = {
  read: 'viewer',
  comment: 'commenter',
  edit: 'editor',
  share: 'owner',
  manage: 'owner',
};

/** 0 for the strongest level (owner), growing as levels weaken; LEVELS is ordered strongest first. */
function rank(level: Level): number {
  return LEVELS.indexOf(level);
}

/** Whether a user holding `level` (or no level at all) may perform `action`. */
export function can(level: Level | undefined, action: Action): boolean {
  if (level === undefined) return false;
  const r = rank(level);
  // An unknown string (from a bad row or a cast) ranks -1: never let it pass as "stronger".
  return r >= 0 && r <= rank(WEAKEST_ALLOWED[action]);
}

/** The stronger of two levels; undefined only if both are. */
export function strongerLevel(a: Level | undefined, b: Level | undefined): Level | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return rank(a) <= rank(b) ? a : b;
}
