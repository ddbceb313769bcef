/**
 * The DocStore contract: one test suite every storage backend must pass, so the server can rely
 * on identical behaviour from SQLite and PostgreSQL. A backend's test file calls
 * runDocStoreContract with a function that opens a store on its test database; every call must
 * open the same database, because the suite checks what two instances (two server processes)
 * see of each other's writes and what survives closing and reopening.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { DocStore } from '../src/storage/doc-store.js';
import { registerBatchingTests } from './storage-contract-batching.js';
import { registerConcurrencyTests } from './storage-contract-concurrency.js';
import { registerEventLogTests } from './storage-contract-events.js';
import { registerHistoryTests } from './storage-contract-history.js';
import { registerLifecycleTests } from './storage-contract-lifecycle.js';
import { registerMetadataTests } from './storage-contract-metadata.js';
import { uniqueDoc } from './support/storage-fixtures.js';

/** What the contract's sections share: the store most tests use, and a way to open another. */
export interface ContractContext {
  /** The store opened before the suite (valid inside tests). */
  store(): DocStore;
  /** Opens another instance on the same database; the test closes it. */
  open(): Promise<DocStore>;
}

export function runDocStoreContract(name: string, open: () => Promise<DocStore>, cleanup?: () => Promise<void>): void {
  describe(`DocStore contract: ${name}`, () => {
    let main: DocStore | undefined;
    const ctx: ContractContext = {
      store() {
        if (main === undefined) throw new Error('the contract store is not open');
        return main;
      },
      open,
    };
    // The first test opens the suite's store, together with two more instances at once: on a
    // fresh database that is several server nodes racing to create the schema.
    test('several instances open at once on a fresh database', async () => {
      const [first, ...others] = await Promise.all([open(), open(), open()]);
      main = first;
      assert.equal(await others[0]?.head(uniqueDoc()), 0);
      await Promise.all(others.map((s) => s.close()));
    });
    after(async () => {
      await main?.close();
      await cleanup?.();
    });
    registerLifecycleTests(ctx);
    registerEventLogTests(ctx);
    registerConcurrencyTests(ctx);
    registerBatchingTests(ctx);
    registerMetadataTests(ctx);
    registerHistoryTests(ctx);
  });
}
