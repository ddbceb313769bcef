/**
 * The permission check every document route starts with: the document id from the path, checked,
 * and the caller's level on it, which must allow the route's action (a share link presented with
 * the request counts). Refusals are PermissionErrors: 404 for a missing document, 403 otherwise.
 */
import type { DocId } from '@tandem/core';
import type { Level } from '@tandem/protocol';
import type { Action } from '../auth/index.js';
import type { ServerServices } from '../server.js';
import { docIdValue } from './request-fields.js';
import type { RouteRequest } from './route-table.js';

export interface DocAccess {
  readonly docId: DocId;
  readonly userId: string;
  readonly level: Level;
}

export async function docAccess(services: ServerServices, request: RouteRequest, action: Action): Promise<DocAccess> {
  const docId = docIdValue(request.params['id']) as DocId;
  const userId = request.caller.principal.userId;
  const linkToken = request.caller.linkToken;
  const level = await services.permissions.authorize(docId, userId, action, linkToken !== undefined ? { linkToken } : {});
  return { docId, userId, level };
}
