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

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch((err: unknown) => {
      // The app works without it, only not offline; say why in the console for whoever debugs.
      console.warn('service worker not registered', err);
    });
  });
}
