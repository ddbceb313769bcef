/**
 * Per-document permissions and share links over a real SQLite store (in memory): the creator is
 * owner, levels allow exactly their actions, only owners change access, a document keeps an
 * owner, links honour level, document, expiry and revocation, and client-chosen ids such as
 * `__proto__` are just ids.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { docId } from '@tandem/core';
import type { Level } from '@tandem/protocol';
import { ACTIONS, can, type Action } from '../src/auth/access.js';
import { PermissionError, type PermissionErrorCode } from '../src/auth/permission-error.js';
import { PermissionService } from '../src/auth/permissions.js';
import type { DocStore } from '../src/storage/doc-store.js';
import { openStore } from '../src/storage/open-store.js';

const START = 1_700_000_000_000;

let store: DocStore;
let clock = START;
let perms: PermissionService;
let docCounter = 0;

before(async () => {
  store = await openStore('sqlite::memory:');
  perms = new PermissionService(store, { now: () => clock });
});

after(async () => {
  await store.close();
});

beforeEach(() => {
  clock = START;
});

/** A fresh document owned by `owner`. */
async function newDoc(owner = 'owner'): Promise<string> {
  const doc = `doc-${++docCounter}`;
  assert.equal(await perms.ensureDocument(doc, owner), true);
  return doc;
}

async function refused(p: Promise<unknown>, code: PermissionErrorCode, mentions: readonly string[] = []): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PermissionError, `expected PermissionError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const m of mentions) assert.ok(e.message.includes(m), `"${e.message}" should mention ${m}`);
    return true;
  });
}

describe('levels and actions', () => {
  test('each level allows exactly its actions', () => {
    const allowed: Record<Level, readonly Action[]> = {
      viewer: ['read'],
      commenter: ['read', 'comment'],
      editor: ['read', 'comment', 'edit'],
      owner: ['read', 'comment', 'edit', 'share', 'manage'],
    };
    for (const level of Object.keys(allowed) as Level[]) {
      for (const action of ACTIONS) assert.equal(can(level, action), allowed[level].includes(action), `${level} ${action}`);
    }
    for (const action of ACTIONS) assert.equal(can(undefined, action), false);
    assert.equal(can('superuser' as Level, 'read'), false);
    assert.equal(perms.can('editor', 'edit'), true);
  });
});

describe('documents', () => {
  test('the creator is owner; a second ensureDocument changes nothing', async () => {
    const doc = await newDoc('alice');
    assert.equal(await perms.levelFor(doc, 'alice'), 'owner');
    assert.equal(await perms.ensureDocument(doc, 'bob'), false);
    assert.equal(await perms.levelFor(doc, 'bob'), undefined);
    assert.equal(await perms.authorize(doc, 'alice', 'manage'), 'owner');
  });

  test('a viewer can read but not edit', async () => {
    const doc = await newDoc('alice');
    await perms.grant(doc, 'alice', 'victor', 'viewer');
    assert.equal(await perms.levelFor(doc, 'victor'), 'viewer');
    assert.equal(await perms.authorize(doc, 'victor', 'read'), 'viewer');
    await refused(perms.authorize(doc, 'victor', 'edit'), 'PERMISSION_DENIED', [doc, 'victor', 'viewer']);
    await refused(perms.authorize(doc, 'stranger', 'read'), 'PERMISSION_DENIED', [doc, 'stranger']);
  });

  test('an unknown document is NOT_FOUND', async () => {
    await refused(perms.authorize('no-such-doc', 'alice', 'read'), 'NOT_FOUND', ['no-such-doc']);
    await refused(perms.grant('no-such-doc', 'alice', 'bob', 'viewer'), 'NOT_FOUND');
  });

  test('collaborators are visible to readers only', async () => {
    const doc = await newDoc('alice');
    await perms.grant(doc, 'alice', 'bob', 'commenter');
    assert.deepEqual(await perms.collaborators(doc, 'bob'), [
      { user: 'alice', level: 'owner' },
      { user: 'bob', level: 'commenter' },
    ]);
    await refused(perms.collaborators(doc, 'eve'), 'PERMISSION_DENIED');
  });
});

describe('grants', () => {
  test('only owners grant and revoke', async () => {
    const doc = await newDoc('alice');
    await perms.grant(doc, 'alice', 'ed', 'editor');
    await refused(perms.grant(doc, 'ed', 'eve', 'editor'), 'PERMISSION_DENIED', ['ed']);
    await refused(perms.grant(doc, 'ed', 'ed', 'owner'), 'PERMISSION_DENIED');
    await refused(perms.revoke(doc, 'ed', 'alice'), 'PERMISSION_DENIED');
    await refused(perms.grant(doc, 'eve', 'eve', 'viewer'), 'PERMISSION_DENIED');
    assert.equal(await perms.levelFor(doc, 'eve'), undefined);
    assert.equal(await perms.revoke(doc, 'alice', 'ed'), true);
    assert.equal(await perms.revoke(doc, 'alice', 'ed'), false);
    assert.equal(await perms.levelFor(doc, 'ed'), undefined);
  });

  test('the last owner cannot be removed or demoted', async () => {
    const doc = await newDoc('alice');
    await refused(perms.revoke(doc, 'alice', 'alice'), 'PERMISSION_DENIED', ['last owner', 'alice', doc]);
    await refused(perms.grant(doc, 'alice', 'alice', 'editor'), 'PERMISSION_DENIED', ['last owner']);
    assert.equal(await perms.levelFor(doc, 'alice'), 'owner');
    // With a second owner, either may step down.
    await perms.grant(doc, 'alice', 'bob', 'owner');
    await perms.grant(doc, 'bob', 'alice', 'viewer');
    assert.equal(await perms.levelFor(doc, 'alice'), 'viewer');
    await refused(perms.revoke(doc, 'bob', 'bob'), 'PERMISSION_DENIED', ['last owner']);
  });

  test('two owners demoting each other at once leave one owner', async () => {
    const doc = await newDoc('alice');
    await perms.grant(doc, 'alice', 'bob', 'owner');
    const results = await Promise.allSettled([perms.revoke(doc, 'alice', 'bob'), perms.revoke(doc, 'bob', 'alice')]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const owners = (await store.listPermissions(docId(doc))).filter((p) => p.level === 'owner');
    assert.equal(owners.length, 1);
  });

  test('two server processes demoting each other at once never leave the document ownerless', async () => {
    // Two services on one store share no lock, like two server processes on one database.
    const left = new PermissionService(store, { now: () => clock });
    const right = new PermissionService(store, { now: () => clock });
    for (let round = 0; round < 20; round++) {
      const doc = await newDoc('alice');
      await perms.grant(doc, 'alice', 'bob', 'owner');
      const results = await Promise.allSettled([left.revoke(doc, 'alice', 'bob'), right.grant(doc, 'bob', 'alice', 'viewer')]);
      const owners = (await store.listPermissions(docId(doc))).filter((p) => p.level === 'owner');
      assert.ok(owners.length >= 1, `round ${round}: no owner left`);
      assert.ok(results.filter((r) => r.status === 'fulfilled').length <= 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof PermissionError);
    }
  });

  test('bad levels and unstorable ids are BAD_MESSAGE', async () => {
    const doc = await newDoc('alice');
    await refused(perms.grant(doc, 'alice', 'bob', 'admin' as Level), 'BAD_MESSAGE');
    await refused(perms.levelFor('', 'alice'), 'BAD_MESSAGE');
    await refused(perms.levelFor(doc, 'x'.repeat(513)), 'BAD_MESSAGE');
    await refused(perms.grant(doc, 'alice', 'bad\u0000id', 'viewer'), 'BAD_MESSAGE');
    await refused(perms.ensureDocument('\uDC00', 'alice'), 'BAD_MESSAGE');
  });
});

describe('share links', () => {
  test('a link grants its level to anyone holding it, on its document only', async () => {
    const doc = await newDoc('alice');
    const other = await newDoc('alice');
    for (const level of ['viewer', 'commenter', 'editor'] as const) {
      const link = await perms.createLink(doc, 'alice', level);
      assert.match(link.token, /^[A-Za-z0-9_-]{32}$/);
      assert.equal(link.level, level);
      assert.equal(link.expiresAt, null);
      assert.equal(await perms.levelFor(doc, 'guest', { linkToken: link.token }), level);
      assert.equal(await perms.levelFor(other, 'guest', { linkToken: link.token }), undefined);
    }
    assert.equal(await perms.levelFor(doc, 'guest'), undefined);
  });

  test('the stronger of grant and link wins', async () => {
    const doc = await newDoc('alice');
    const viewLink = await perms.createLink(doc, 'alice', 'viewer');
    const editLink = await perms.createLink(doc, 'alice', 'editor');
    await perms.grant(doc, 'alice', 'carol', 'commenter');
    assert.equal(await perms.levelFor(doc, 'carol', { linkToken: viewLink.token }), 'commenter');
    assert.equal(await perms.levelFor(doc, 'carol', { linkToken: editLink.token }), 'editor');
    assert.equal(await perms.levelFor(doc, 'alice', { linkToken: viewLink.token }), 'owner');
    assert.equal(await perms.authorize(doc, 'guest', 'edit', { linkToken: editLink.token }), 'editor');
    // An editor via link still may not share.
    await refused(perms.createLink(doc, 'guest', 'viewer'), 'PERMISSION_DENIED');
  });

  test('a link never grants owner', async () => {
    const doc = await newDoc('alice');
    await refused(perms.createLink(doc, 'alice', 'owner'), 'PERMISSION_DENIED', ['owner']);
    // Even a row written around the service is capped.
    await store.createShareLink(docId(doc), { token: 'A'.repeat(32), level: 'owner', expiresAt: null, createdBy: 'alice' });
    assert.equal(await perms.levelFor(doc, 'guest', { linkToken: 'A'.repeat(32) }), 'editor');
  });

  test('an expired link grants nothing', async () => {
    const doc = await newDoc('alice');
    const link = await perms.createLink(doc, 'alice', 'editor', START + 60_000);
    assert.equal(link.expiresAt, START + 60_000);
    clock = START + 59_999;
    assert.equal(await perms.levelFor(doc, 'guest', { linkToken: link.token }), 'editor');
    clock = START + 60_000;
    assert.equal(await perms.levelFor(doc, 'guest', { linkToken: link.token }), undefined);
    await refused(perms.authorize(doc, 'guest', 'read', { linkToken: link.token }), 'PERMISSION_DENIED');
    await refused(perms.createLink(doc, 'alice', 'viewer', clock), 'BAD_MESSAGE');
    await refused(perms.createLink(doc, 'alice', 'viewer', 1.5), 'BAD_MESSAGE');
  });

  test('a revoked link grants nothing; revoking is for owners of its document', async () => {
    const doc = await newDoc('alice');
    const other = await newDoc('mallory');
    const link = await perms.createLink(doc, 'alice', 'commenter');
    await refused(perms.revokeLink(other, 'mallory', link.token), 'NOT_FOUND');
    await perms.grant(doc, 'alice', 'ed', 'editor');
    await refused(perms.revokeLink(doc, 'ed', link.token), 'PERMISSION_DENIED');
    assert.equal(await perms.levelFor(doc, 'guest', { linkToken: link.token }), 'commenter');

    clock = START + 5;
    assert.equal(await perms.revokeLink(doc, 'alice', link.token), true);
    assert.equal(await perms.levelFor(doc, 'guest', { linkToken: link.token }), undefined);
    assert.equal(await perms.revokeLink(doc, 'alice', link.token), false);
    await refused(perms.revokeLink(doc, 'alice', 'not-a-token'), 'NOT_FOUND');

    const links = await perms.listLinks(doc, 'alice');
    assert.equal(links.length, 1);
    assert.equal(links[0]?.revoked, true);
    assert.equal(links[0]?.revokedAt, START + 5);
    await refused(perms.listLinks(doc, 'ed'), 'PERMISSION_DENIED');
  });

  test('junk link tokens grant nothing and never reach the store as errors', async () => {
    const doc = await newDoc('alice');
    for (const junk of ['', 'short', 'x'.repeat(600), 'has spaces in it here', '\u0000'.repeat(20), 'A'.repeat(31) + '!']) {
      assert.equal(await perms.levelFor(doc, 'guest', { linkToken: junk }), undefined);
    }
  });

  test('tokens are unique', async () => {
    const doc = await newDoc('alice');
    const tokens = new Set<string>();
    for (let i = 0; i < 50; i++) tokens.add((await perms.createLink(doc, 'alice', 'viewer')).token);
    assert.equal(tokens.size, 50);
  });
});

describe('prototype-shaped ids', () => {
  test('__proto__ and constructor are ordinary document and user ids', async () => {
    const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    for (const doc of ['__proto__', 'constructor', 'prototype']) {
      assert.equal(await perms.ensureDocument(doc, '__proto__'), true);
      assert.equal(await perms.levelFor(doc, '__proto__'), 'owner');
      assert.equal(await perms.levelFor(doc, 'constructor'), undefined);
      await perms.grant(doc, '__proto__', 'constructor', 'editor');
      assert.equal(await perms.levelFor(doc, 'constructor'), 'editor');
      const link = await perms.createLink(doc, '__proto__', 'viewer');
      assert.equal(await perms.levelFor(doc, 'hasOwnProperty', { linkToken: link.token }), 'viewer');
      await refused(perms.revoke(doc, '__proto__', '__proto__'), 'PERMISSION_DENIED', ['__proto__']);
    }
    assert.equal(await perms.levelFor('toString', '__proto__'), undefined);
    await refused(perms.authorize('toString', '__proto__', 'read'), 'NOT_FOUND');
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), protoBefore);
    const probe: Record<string, unknown> = {};
    assert.equal(probe['owner'], undefined);
    assert.equal(probe['editor'], undefined);
  });
});
