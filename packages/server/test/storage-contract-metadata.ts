/**
 * DocStore contract, everything beside the event log: snapshots (newest wins), documents and
 * permissions, share links, named versions, room members' last-seen times, and ids that are
 * hostile as object keys or cannot be stored.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { docId, type DocId } from '@tandem/core';
import type { ContractContext } from './storage-contract.js';
import { HOSTILE_IDS, textRun, uniqueDoc, uniqueId } from './support/storage-fixtures.js';

const invalidArgument = { code: 'ERR_INVALID_ARGUMENT' };

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

export function registerMetadataTests(ctx: ContractContext): void {
  describe('snapshots', () => {
    test('a document without a snapshot has none', async () => {
      assert.equal(await ctx.store().loadSnapshot(uniqueDoc()), undefined);
    });

    test('the newest snapshot is kept and an older or equal one is ignored', async () => {
      const doc = uniqueDoc();
      await ctx.store().saveSnapshot(doc, { version: 5, bytes: bytes(5, 5) });
      await ctx.store().saveSnapshot(doc, { version: 9, bytes: bytes(9, 0, 255) });
      await ctx.store().saveSnapshot(doc, { version: 7, bytes: bytes(7) });
      await ctx.store().saveSnapshot(doc, { version: 9, bytes: bytes(1) });
      const snap = await ctx.store().loadSnapshot(doc);
      assert.ok(snap !== undefined);
      assert.equal(snap.version, 9);
      assert.ok(snap.bytes instanceof Uint8Array);
      assert.deepEqual([...snap.bytes], [9, 0, 255]);
    });

    test('snapshot bytes round-trip exactly, from a view into a larger buffer too', async () => {
      const doc = uniqueDoc();
      const all = new Uint8Array(300_000);
      for (let i = 0; i < all.length; i++) all[i] = (i * 31 + 7) & 0xff;
      const view = all.subarray(1000, 251_000);
      await ctx.store().saveSnapshot(doc, { version: 1, bytes: view });
      const snap = await ctx.store().loadSnapshot(doc);
      assert.equal(snap?.bytes.byteLength, view.byteLength);
      assert.ok(Buffer.from(snap.bytes).equals(Buffer.from(view)));
      await ctx.store().saveSnapshot(doc, { version: 2, bytes: new Uint8Array(0) });
      assert.equal((await ctx.store().loadSnapshot(doc))?.bytes.byteLength, 0);
    });

    test('a snapshot with a bad version is refused', async () => {
      await assert.rejects(ctx.store().saveSnapshot(uniqueDoc(), { version: -1, bytes: bytes(1) }), invalidArgument);
    });
  });

  describe('documents and permissions', () => {
    test('a created document has its owner and creation time; creating it again returns false', async () => {
      const doc = uniqueDoc();
      const owner = uniqueId('user');
      assert.equal(await ctx.store().getDocument(doc), undefined);
      assert.equal(await ctx.store().createDocument(doc, owner, 1_700_000_000_000), true);
      assert.equal(await ctx.store().createDocument(doc, uniqueId('intruder'), 1_800_000_000_000), false);
      assert.deepEqual(await ctx.store().getDocument(doc), { id: doc, owner, createdAt: 1_700_000_000_000 });
      assert.equal(await ctx.store().getPermission(doc, owner), 'owner');
    });

    test('createdAt defaults to the current time', async () => {
      const doc = uniqueDoc();
      const before = Date.now();
      await ctx.store().createDocument(doc, uniqueId('user'));
      const info = await ctx.store().getDocument(doc);
      assert.ok(info !== undefined && info.createdAt >= before && info.createdAt <= Date.now());
    });

    test('permissions are granted, replaced, listed and removed', async () => {
      const doc = uniqueDoc();
      const owner = uniqueId('owner');
      const [u1, u2] = [uniqueId('u1'), uniqueId('u2')];
      await ctx.store().createDocument(doc, owner);
      await ctx.store().setPermission(doc, u1, 'viewer');
      await ctx.store().setPermission(doc, u2, 'commenter');
      await ctx.store().setPermission(doc, u1, 'editor');
      assert.equal(await ctx.store().getPermission(doc, u1), 'editor');
      assert.deepEqual(
        await ctx.store().listPermissions(doc),
        [
          { user: owner, level: 'owner' as const },
          { user: u1, level: 'editor' as const },
          { user: u2, level: 'commenter' as const },
        ].sort((x, y) => (x.user < y.user ? -1 : 1)),
      );
      await ctx.store().setPermission(doc, u1, null);
      assert.equal(await ctx.store().getPermission(doc, u1), undefined);
      await ctx.store().setPermission(doc, u1, null); // removing twice is harmless
      assert.deepEqual((await ctx.store().listPermissions(doc)).map((p) => p.user).sort(), [owner, u2].sort());
      assert.equal(await ctx.store().getPermission(doc, uniqueId('stranger')), undefined);
    });

    test('an unknown level is refused', async () => {
      const doc = uniqueDoc();
      await assert.rejects(ctx.store().setPermission(doc, 'u', 'admin' as 'owner'), invalidArgument);
      assert.deepEqual(await ctx.store().listPermissions(doc), []);
    });

    test('listDocuments lists what a user owns or was granted, oldest first, and nothing else', async () => {
      const alice = uniqueId('alice');
      const bob = uniqueId('bob');
      const [d1, d2, d3] = [uniqueDoc(), uniqueDoc(), uniqueDoc()];
      await ctx.store().createDocument(d1, alice, 1000);
      await ctx.store().createDocument(d2, bob, 2000);
      await ctx.store().createDocument(d3, bob, 3000);
      await ctx.store().setPermission(d3, alice, 'viewer');
      assert.deepEqual((await ctx.store().listDocuments(alice)).map((d) => d.id), [d1, d3]);
      assert.deepEqual((await ctx.store().listDocuments(bob)).map((d) => d.id), [d2, d3]);
      await ctx.store().setPermission(d3, alice, null);
      assert.deepEqual((await ctx.store().listDocuments(alice)).map((d) => d.id), [d1]);
      assert.deepEqual(await ctx.store().listDocuments(uniqueId('nobody')), []);
    });
  });

  describe('share links', () => {
    test('links are created, read, listed and revoked once', async () => {
      const doc = uniqueDoc();
      const owner = uniqueId('owner');
      const [t1, t2] = [uniqueId('token'), uniqueId('token')];
      await ctx.store().createShareLink(doc, { token: t1, level: 'viewer', expiresAt: null, createdBy: owner, createdAt: 10 });
      await ctx.store().createShareLink(doc, { token: t2, level: 'editor', expiresAt: 5_000_000_000_000, createdBy: owner, createdAt: 20 });
      const live = { token: t1, doc, level: 'viewer', expiresAt: null, createdBy: owner, createdAt: 10, revoked: false, revokedAt: null };
      assert.deepEqual(await ctx.store().getShareLink(t1), live);
      assert.equal(await ctx.store().revokeShareLink(t1, 30), true);
      assert.equal(await ctx.store().revokeShareLink(t1, 40), false);
      assert.deepEqual(await ctx.store().getShareLink(t1), { ...live, revoked: true, revokedAt: 30 });
      const listed = await ctx.store().listShareLinks(doc);
      assert.deepEqual(listed.map((l) => [l.token, l.level, l.expiresAt, l.revoked]), [
        [t1, 'viewer', null, true],
        [t2, 'editor', 5_000_000_000_000, false],
      ]);
    });

    test('unknown tokens are absent and a reused token is refused', async () => {
      const doc = uniqueDoc();
      const token = uniqueId('token');
      assert.equal(await ctx.store().getShareLink(token), undefined);
      assert.equal(await ctx.store().revokeShareLink(token), false);
      await ctx.store().createShareLink(doc, { token, level: 'viewer', expiresAt: null, createdBy: 'u' });
      await assert.rejects(
        ctx.store().createShareLink(uniqueDoc(), { token, level: 'owner', expiresAt: null, createdBy: 'mallory' }),
        { code: 'ERR_DUPLICATE' },
      );
      assert.equal((await ctx.store().getShareLink(token))?.level, 'viewer');
      assert.deepEqual(await ctx.store().listShareLinks(uniqueDoc()), []);
    });
  });

  describe('named versions', () => {
    test('versions are named, listed by version, and renamed', async () => {
      const doc = uniqueDoc();
      await ctx.store().nameVersion(doc, { version: 20, name: 'Final draft ✅', createdBy: 'ann', createdAt: 200 });
      await ctx.store().nameVersion(doc, { version: 3, name: 'First outline', createdBy: 'bob', createdAt: 100 });
      assert.deepEqual(await ctx.store().listNamedVersions(doc), [
        { version: 3, name: 'First outline', createdBy: 'bob', createdAt: 100 },
        { version: 20, name: 'Final draft ✅', createdBy: 'ann', createdAt: 200 },
      ]);
      await ctx.store().nameVersion(doc, { version: 3, name: 'Outline v1', createdBy: 'cy', createdAt: 300 });
      assert.deepEqual((await ctx.store().listNamedVersions(doc)).map((v) => v.name), ['Outline v1', 'Final draft ✅']);
      assert.deepEqual(await ctx.store().listNamedVersions(uniqueDoc()), []);
    });
  });

  describe('room members', () => {
    test('last-seen times are kept, never moved backwards, most recent first', async () => {
      const room = uniqueId('room');
      await ctx.store().touchRoomMember(room, 'ann', 1000);
      await ctx.store().touchRoomMember(room, 'bob', 2000);
      await ctx.store().touchRoomMember(room, 'ann', 3000);
      await ctx.store().touchRoomMember(room, 'bob', 1500); // late and out of order: ignored
      assert.deepEqual(await ctx.store().roomMembers(room), [
        { user: 'ann', lastSeen: 3000 },
        { user: 'bob', lastSeen: 2000 },
      ]);
      assert.deepEqual(await ctx.store().roomMembers(uniqueId('room')), []);
    });
  });

  describe('ids', () => {
    test('"__proto__", "constructor" and friends work as document, user, room and token ids', async () => {
      const store = ctx.store();
      for (const raw of HOSTILE_IDS) {
        const doc: DocId = docId(raw);
        assert.equal(await store.createDocument(doc, raw, 42), true);
        assert.deepEqual(await store.getDocument(doc), { id: raw, owner: raw, createdAt: 42 });
        assert.equal(await store.getPermission(doc, raw), 'owner');
        const other = raw === '__proto__' ? 'constructor' : '__proto__';
        await store.setPermission(doc, other, 'editor');
        assert.equal(await store.getPermission(doc, other), 'editor');
        assert.deepEqual((await store.listPermissions(doc)).map((p) => p.user).sort(), [raw, other].sort());
        const r = await store.appendEvents(doc, textRun(raw, 0, 2));
        assert.equal(r.head, 2);
        await store.saveSnapshot(doc, { version: 2, bytes: bytes(2) });
        await store.createShareLink(doc, { token: raw, level: 'viewer', expiresAt: null, createdBy: raw });
        await store.nameVersion(doc, { version: 1, name: raw, createdBy: raw, createdAt: 1 });
        await store.touchRoomMember(raw, raw, 7);
        assert.deepEqual(await store.roomMembers(raw), [{ user: raw, lastSeen: 7 }]);
        assert.equal((await store.getShareLink(raw))?.doc, raw);
        assert.equal((await store.loadEvents(doc, 0)).length, 2);
        assert.equal((await store.loadSnapshot(doc))?.version, 2);
      }
      assert.deepEqual((await store.listDocuments('__proto__')).map((d) => d.id), [...HOSTILE_IDS].sort());
      assert.deepEqual(Object.keys(Object.prototype), []);
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
      assert.equal(typeof Object.prototype.toString, 'function');
    });

    test('ids that cannot be stored exactly are refused, not altered', async () => {
      const store = ctx.store();
      const unstorable = ['', 'nul\u0000byte', 'lone\ud800surrogate', 'lone\udc00low', 'x'.repeat(513)];
      for (const raw of unstorable) {
        const doc = raw as DocId;
        await assert.rejects(store.head(doc), invalidArgument, JSON.stringify(raw));
        await assert.rejects(store.createDocument(doc, 'u'), invalidArgument);
        await assert.rejects(store.createDocument(uniqueDoc(), raw), invalidArgument);
        await assert.rejects(store.touchRoomMember(raw, 'u', 1), invalidArgument);
        await assert.rejects(store.getShareLink(raw), invalidArgument);
      }
      // A long id within the limit, with astral characters, is fine.
      const long = docId('😀'.repeat(256));
      await store.appendEvents(long, textRun(uniqueId('agent'), 0, 1));
      assert.equal(await store.head(long), 1);
    });
  });
}
