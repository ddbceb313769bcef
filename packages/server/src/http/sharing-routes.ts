/**
 * REST routes of sharing: who holds which level (anyone who may read sees it), granting and
 * revoking a user's level, and creating, listing and revoking share links. The rules (owners only,
 * never remove the last owner, links at most editor) are the PermissionService's, which these
 * routes call as the caller.
 */
import type { ServerServices } from '../server.js';
import { HttpError } from './http-error.js';
import { boundedString, has, levelValue, objectBody, show } from './request-fields.js';
import { docAccess } from './route-access.js';
import type { Route } from './route-table.js';

/** Longest user id accepted in a path: a JWT `sub` may be up to 255 characters. */
const MAX_USER_ID_LENGTH = 255;

function expiresAtValue(v: unknown): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new HttpError(400, 'BAD_REQUEST', `expiresAt must be a time in ms since the epoch or null, got ${show(v)}`);
  return v;
}

export function sharingRoutes(services: ServerServices): Route[] {
  const { permissions, store } = services;
  return [
    {
      method: 'GET',
      pattern: '/api/docs/:id/collaborators',
      handle: async (request) => {
        const { docId } = await docAccess(services, request, 'read');
        return { status: 200, body: { id: docId, collaborators: await store.listPermissions(docId) } };
      },
    },
    {
      method: 'PUT',
      pattern: '/api/docs/:id/collaborators/:user',
      handle: async (request) => {
        const { docId, userId } = await docAccess(services, request, 'share');
        const user = boundedString(request.params['user'], 'user id', 1, MAX_USER_ID_LENGTH);
        const fields = objectBody(await request.body(), ['level']);
        const level = levelValue(fields['level']);
        await permissions.grant(docId, userId, user, level);
        return { status: 200, body: { id: docId, user, level } };
      },
    },
    {
      method: 'DELETE',
      pattern: '/api/docs/:id/collaborators/:user',
      handle: async (request) => {
        const { docId, userId } = await docAccess(services, request, 'share');
        const user = boundedString(request.params['user'], 'user id', 1, MAX_USER_ID_LENGTH);
        if (!(await permissions.revoke(docId, userId, user))) {
          throw new HttpError(404, 'NOT_FOUND', `user ${show(user)} holds no grant on document ${show(docId)}`);
        }
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      pattern: '/api/docs/:id/links',
      handle: async (request) => {
        const { docId, userId } = await docAccess(services, request, 'share');
        return { status: 200, body: { id: docId, links: await permissions.listLinks(docId, userId) } };
      },
    },
    {
      method: 'POST',
      pattern: '/api/docs/:id/links',
      handle: async (request) => {
        const { docId, userId } = await docAccess(services, request, 'share');
        const fields = objectBody(await request.body(), ['level', 'expiresAt']);
        const expiresAt = has(fields, 'expiresAt') ? expiresAtValue(fields['expiresAt']) : null;
        const link = await permissions.createLink(docId, userId, levelValue(fields['level']), expiresAt);
        return { status: 201, body: link };
      },
    },
    {
      method: 'DELETE',
      pattern: '/api/docs/:id/links/:token',
      handle: async (request) => {
        const { docId, userId } = await docAccess(services, request, 'share');
        // Revoking a revoked link again is a no-op; an unknown one is a 404 from the service.
        await permissions.revokeLink(docId, userId, request.params['token'] ?? '');
        return { status: 204 };
      },
    },
  ];
}
