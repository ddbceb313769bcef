/**
 * Documents opened on this device, newest first, in localStorage: the document list offline
 * (the REST list needs the server), documents reached through a share link (which the server's
 * list does not include), and the access level last granted, so a viewer's editor starts
 * read-only before the server has confirmed anything.
 */
import type { Level } from './api.js';

export interface RecentDoc {
  readonly id: string;
  readonly link?: string;
  readonly level?: Level;
  readonly openedAt: number;
}

const KEY = 'tandem.recent';
const MAX = 50;

export function recentDocs(userId: string): RecentDoc[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(`${KEY}.${userId}`) ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((d): d is RecentDoc => typeof d === 'object' && d !== null && typeof (d as RecentDoc).id === 'string' && typeof (d as RecentDoc).openedAt === 'number');
  } catch {
    return [];
  }
}

export function rememberDoc(userId: string, doc: { id: string; link?: string | undefined; level?: Level | undefined }): void {
  const list = recentDocs(userId);
  const previous = list.find((d) => d.id === doc.id);
  const link = doc.link ?? previous?.link;
  const level = doc.level ?? previous?.level;
  const entry: RecentDoc = { id: doc.id, openedAt: Date.now(), ...(link !== undefined ? { link } : {}), ...(level !== undefined ? { level } : {}) };
  const next = [entry, ...list.filter((d) => d.id !== doc.id)].slice(0, MAX);
  localStorage.setItem(`${KEY}.${userId}`, JSON.stringify(next));
}

export function recentDoc(userId: string, id: string): RecentDoc | undefined {
  return recentDocs(userId).find((d) => d.id === id);
}
