/**
 * Entry point: renders the app and registers the service worker that makes it work offline (in
 * production builds only — during development Vite serves modules that must not be cached).
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import './styles.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

/**
 * Registers the service worker that makes the app open offline. An install that fails (one precache
 * fetch failing discards the worker) is tried again a little later, a few times, rather than only
 * on the next visit.
 */
function registerServiceWorker(attempt: number): void {
  const retry = (): void => {
    if (attempt < 3) setTimeout(() => registerServiceWorker(attempt + 1), 10_000 * attempt);
  };
  navigator.serviceWorker.register('/sw.js').then(
    (registration) => {
      const worker = registration.installing;
      worker?.addEventListener('statechange', () => {
        if (worker.state === 'redundant' && registration.active === null) retry();
      });
    },
    (err: unknown) => {
      // The app works without it, only not offline; say why in the console for whoever debugs.
      console.warn('service worker not registered', err);
      retry();
    },
  );
}

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  if (document.readyState === 'complete') registerServiceWorker(1);
  else window.addEventListener('load', () => registerServiceWorker(1));
}
