/**
 * A minimal router over the History API: the app has three screens (sign-in, the document list,
 * a document at `/d/<id>`), so a library would be more code than the routes. The server answers
 * every page URL with the app (SPA fallback), and so does the service worker offline.
 */
import { useEffect, useState } from 'react';

export type Route =
  | { readonly page: 'home' }
  | { readonly page: 'doc'; readonly docId: string; readonly link: string | undefined }
  | { readonly page: 'not-found'; readonly path: string };

export function parseRoute(location: { pathname: string; search: string }): Route {
  const path = location.pathname;
  if (path === '/' || path === '') return { page: 'home' };
  const m = /^\/d\/([^/]+)\/?$/.exec(path);
  if (m !== null) {
    let docId: string;
    try {
      docId = decodeURIComponent(m[1]!);
    } catch {
      return { page: 'not-found', path };
    }
    const link = new URLSearchParams(location.search).get('link') ?? undefined;
    return { page: 'doc', docId, link: link === '' ? undefined : link };
  }
  return { page: 'not-found', path };
}

export function docUrl(docId: string, link?: string): string {
  return `/d/${encodeURIComponent(docId)}${link !== undefined ? `?link=${encodeURIComponent(link)}` : ''}`;
}

const listeners = new Set<() => void>();

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const l of listeners) l();
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(window.location));
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}
