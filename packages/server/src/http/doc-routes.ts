/**
 * REST routes of documents themselves: list the caller's documents, create one, read one (texts,
 * maps, version, collaborators) and replace its text with a version precondition. A write is
 * turned into the minimal edit from the current text and committed as one server edit in the
 * caller's name, so WebSocket clients receive it as a remote operation and concurrent work merges.
 */
import { randomBytes } from 'node:crypto';
import type { DocId, TextOp } from '@tandem/core';
import { minimalEdit } from '../history/text-diff.js';
import type { ServerServices } from '../server.js';
import { HttpError } from './http-error.js';
import { has, objectBody, docIdValue, textNameValue, textValue, versionValue } from './request-fields.js';
import { docAccess } from './route-access.js';
import type { Route } from './route-table.js';

/** The text REST reads and writes unless told otherwise. */
export const DEFAULT_TEXT = 'body';

function docPath(id: string): string {
  return `/api/docs/${encodeURIComponent(id)}`;
}

export function docRoutes(services: ServerServices): Route[] {
  const { permissions, registry, store, presence } = services;
  return [
    {
      method: 'GET',
      pattern: '/api/docs',
      handle: async ({ caller }) => {
        const userId = caller.principal.userId;
        const docs = await store.listDocuments(userId);
        const levels = await Promise.all(docs.map((d) => permissions.levelFor(d.id, userId)));
        const documents = docs.flatMap((d, i) => {
          const level = levels[i];
          return level === undefined ? [] : [{ id: d.id, owner: d.owner, createdAt: d.createdAt, level }];
        });
        return { status: 200, body: { documents } };
      },
    },
    {
      method: 'POST',
      pattern: '/api/docs',
      handle: async (request) => {
        const fields = objectBody((await request.body(true)) ?? {}, ['id', 'text']);
        const id = has(fields, 'id') ? docIdValue(fields['id']) : randomBytes(12).toString('base64url');
        // Checked before the document exists, so a bad text never leaves an empty document behind.
        const text = has(fields, 'text') ? textValue(fields['text'], 'text') : '';
        const userId = request.caller.principal.userId;
        if (!(await permissions.ensureDocument(id, userId))) {
          throw new HttpError(409, 'ALREADY_EXISTS', `document ${JSON.stringify(id)} already exists`);
        }
        let version = 0;
        if (text.length > 0) {
          const session = await registry.open(id as DocId);
          version = (await session.editServerTexts(userId, (texts) => new Map([[DEFAULT_TEXT, minimalEdit(texts[DEFAULT_TEXT] ?? '', text)]]))).version;
        }
        return { status: 201, body: { id, version, level: 'owner' }, headers: { location: docPath(id) } };
      },
    },
    {
      method: 'GET',
      pattern: '/api/docs/:id',
      handle: async (request) => {
        const { docId, level } = await docAccess(services, request, 'read');
        const session = await registry.open(docId);
        const [state, grants] = await Promise.all([session.state(), store.listPermissions(docId)]);
        return {
          status: 200,
          body: {
            id: docId,
            level,
            version: state.version,
            text: state.texts[DEFAULT_TEXT] ?? '',
            texts: state.texts,
            maps: state.maps,
            collaborators: { live: presence.peersOf(docId), grants },
          },
        };
      },
    },
    {
      method: 'PUT',
      pattern: '/api/docs/:id',
      handle: async (request) => {
        const { docId, userId } = await docAccess(services, request, 'edit');
        const fields = objectBody(await request.body(), ['text', 'version', 'name']);
        const text = textValue(fields['text'], 'text');
        const expected = versionValue(fields['version'], 'version');
        const name = has(fields, 'name') ? textNameValue(fields['name'], 'name') : DEFAULT_TEXT;
        const session = await registry.open(docId);
        // Checked inside the document's write order: no edit can slip in between check and write.
        const r = await session.editServerTexts(userId, (texts, version) => {
          if (version !== expected) {
            throw new HttpError(409, 'VERSION_CONFLICT', `document ${JSON.stringify(docId)} is at version ${version}, not ${expected}: read it again and retry`, {
              currentVersion: version,
            });
          }
          return new Map<string, TextOp>([[name, minimalEdit(texts[name] ?? '', text)]]);
        });
        return { status: 200, body: { id: docId, version: r.version, changed: r.applied > 0 } };
      },
    },
  ];
}
