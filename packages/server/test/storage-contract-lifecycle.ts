/**
 * DocStore contract, lifecycle: what one instance wrote is all there after it is closed and the
 * database is opened again (a server restart), and a closed store refuses further calls.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContractContext } from './storage-contract.js';
import { mapSetEvent, textRun, uniqueDoc, uniqueId } from './support/storage-fixtures.js';

export function registerLifecycleTests(ctx: ContractContext): void {
  describe('lifecycle', () => {
    test('everything written survives close and reopen', async () => {
      const doc = uniqueDoc();
      const owner = uniqueId('owner');
      const guest = uniqueId('guest');
      const token = uniqueId('token');
      const room = uniqueId('room');
      const agent = uniqueId('agent');
      const events = [...textRun(agent, 0, 3), mapSetEvent(agent, 3, 'title', 'Résumé 📝')];

      const writer = await ctx.open();
      await writer.createDocument(doc, owner, 111);
      await writer.setPermission(doc, guest, 'commenter');
      await writer.appendEvents(doc, events);
      await writer.saveSnapshot(doc, { version: 3, bytes: Uint8Array.from([1, 2, 3]) });
      await writer.createShareLink(doc, { token, level: 'viewer', expiresAt: 999, createdBy: owner, createdAt: 222 });
      await writer.revokeShareLink(token, 333);
      await writer.nameVersion(doc, { version: 2, name: 'v2', createdBy: owner, createdAt: 444 });
      await writer.touchRoomMember(room, guest, 555);
      await writer.bindAgent(doc, agent, owner);
      await writer.addCheckpoint(doc, { version: 3, createdAt: 666, authors: [owner] });
      await writer.close();

      const reader = await ctx.open();
      try {
        assert.deepEqual(
          (await reader.loadEvents(doc, 0)).map((s) => s.event),
          events,
        );
        assert.equal(await reader.head(doc), 4);
        assert.deepEqual(await reader.getDocument(doc), { id: doc, owner, createdAt: 111 });
        assert.equal(await reader.getPermission(doc, guest), 'commenter');
        assert.equal(await reader.getPermission(doc, owner), 'owner');
        const snap = await reader.loadSnapshot(doc);
        assert.deepEqual({ version: snap?.version, bytes: [...(snap?.bytes ?? [])] }, { version: 3, bytes: [1, 2, 3] });
        assert.deepEqual(await reader.getShareLink(token), {
          token,
          doc,
          level: 'viewer',
          expiresAt: 999,
          createdBy: owner,
          createdAt: 222,
          revoked: true,
          revokedAt: 333,
        });
        assert.deepEqual(await reader.listNamedVersions(doc), [{ version: 2, name: 'v2', createdBy: owner, createdAt: 444 }]);
        assert.deepEqual(await reader.roomMembers(room), [{ user: guest, lastSeen: 555 }]);
        assert.deepEqual(await reader.agentBindings(doc), [{ agent, user: owner }]);
        assert.equal(await reader.bindAgent(doc, agent, guest), owner);
        assert.deepEqual(await reader.listCheckpoints(doc), [{ version: 3, createdAt: 666, authors: [owner] }]);
        // Versions continue where they were after the restart.
        const next = await reader.appendEvents(doc, textRun(agent, 4, 1));
        assert.deepEqual(next.stored.map((s) => s.version), [5]);
        // The instance that stayed open sees it all too.
        assert.equal(await ctx.store().head(doc), 5);
      } finally {
        await reader.close();
      }
    });

    test('a closed store refuses calls; closing twice is harmless', async () => {
      const store = await ctx.open();
      await store.close();
      await store.close();
      const closed = { code: 'ERR_STORE_CLOSED' };
      await assert.rejects(store.head(uniqueDoc()), closed);
      await assert.rejects(store.appendEvents(uniqueDoc(), textRun(uniqueId('agent'), 0, 1)), closed);
      await assert.rejects(store.listDocuments('u'), closed);
    });
  });
}
