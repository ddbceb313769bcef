/**
 * REST routes of version history: the list of revisions (checkpoints and named versions), naming a
 * version, the document at a version, the attributed diff between two versions, and restore.
 * Readers may look; naming and restoring change the document's history, so they take an editor.
 */
import type { ServerServices } from '../server.js';
import { DEFAULT_TEXT } from './doc-routes.js';
import { MAX_TEXT_LENGTH } from '../storage/store-input.js';
import { boundedString, has, intParam, objectBody, textNameValue, versionValue } from './request-fields.js';
import { docAccess } from './route-access.js';
import type { Route } from './route-table.js';

/** Most revisions one listing returns. */
const MAX_REVISIONS = 1000;

export function historyRoutes(services: ServerServices): Route[] {
  const { history } = services;
  return [
    {
      method: 'GET',
      pattern: '/api/docs/:id/revisions',
      handle: async (request) => {
        const { docId } = await docAccess(services, request, 'read');
        const q = request.url.searchParams;
        const limit = q.has('limit') ? Math.min(MAX_REVISIONS, intParam(q.get('limit'), 'limit')) : 100;
        const before = q.has('before') ? intParam(q.get('before'), 'before') : undefined;
        const [version, revisions] = await Promise.all([history.head(docId), history.revisions(docId, { limit, ...(before !== undefined ? { before } : {}) })]);
        return { status: 200, body: { id: docId, version, revisions } };
      },
    },
    {
      method: 'POST',
      pattern: '/api/docs/:id/versions',
      handle: async (request) => {
        const { docId, userId } = await docAccess(services, request, 'edit');
        const fields = objectBody(await request.body(), ['name', 'version']);
        const name = boundedString(fields['name'], 'name', 1, MAX_TEXT_LENGTH);
        const version = has(fields, 'version') ? versionValue(fields['version'], 'version') : undefined;
        const named = await history.nameVersion(docId, name, userId, version);
        return { status: 201, body: { id: docId, kind: 'named', ...named } };
      },
    },
    {
      method: 'GET',
      pattern: '/api/docs/:id/versions/:v',
      handle: async (request) => {
        const { docId } = await docAccess(services, request, 'read');
        const state = await history.stateAt(docId, intParam(request.params['v'], 'version'));
        return {
          status: 200,
          body: { id: docId, version: state.version, text: state.texts[DEFAULT_TEXT] ?? '', texts: state.texts, maps: state.maps },
        };
      },
    },
    {
      method: 'GET',
      pattern: '/api/docs/:id/diff',
      handle: async (request) => {
        const { docId } = await docAccess(services, request, 'read');
        const q = request.url.searchParams;
        const from = intParam(q.get('from'), 'from');
        const to = q.has('to') ? intParam(q.get('to'), 'to') : await history.head(docId);
        const text = q.has('text') ? textNameValue(q.get('text'), 'text') : DEFAULT_TEXT;
        const diff = await history.diff(docId, from, to, text);
        return { status: 200, body: { id: docId, ...diff } };
      },
    },
    {
      method: 'POST',
      pattern: '/api/docs/:id/restore',
      handle: async (request) => {
        const { docId, userId } = await docAccess(services, request, 'edit');
        const fields = objectBody(await request.body(), ['version']);
        const restored = await history.restore(docId, versionValue(fields['version'], 'version'), userId);
        return { status: 200, body: { id: docId, ...restored } };
      },
    },
  ];
}
