/**
 * FileStorage keeps the offline store in a folder (Node only; import it from `@tandem/client/node`).
 * Two files per document, named by a hash of the document id (ids may hold any character and be
 * longer than a file name may): `<hash>.pending.json` and `<hash>.state.bin`.
 *
 * Every write goes to a temporary file that is fsynced and then renamed over the old one, and the
 * folder is fsynced after: a crash at any instant leaves either the old file or the new one, never
 * a torn mix, and a resolved save survives power loss. Writes to one file are serialized.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { checkEvents, type Event } from '@tandem/core';
import type { ClientStorage, ServerState } from './client-storage.js';
import { randomId } from '../util/random-id.js';

interface PendingFile {
  readonly docId: string;
  readonly events: readonly Event[];
}

/** state.bin: magic, then a u32 length of a JSON header, the header, then the snapshot bytes. */
const STATE_MAGIC = 0x54_4e_44_31; // "TND1"

export class FileStorage implements ClientStorage {
  private readonly queues = new Map<string, Promise<unknown>>();
  private ready: Promise<void> | undefined;

  /** @param folder Created on first use if missing. */
  constructor(readonly folder: string) {}

  /**
   * The saved events. A file that cannot be read as events (damaged on disk, edited by hand) is
   * renamed to `….pending.json.damaged-<time>` — kept for recovery, never silently deleted — and
   * the document opens without it.
   */
  async loadPending(docId: string): Promise<Event[]> {
    const path = this.path(docId, 'pending.json');
    const text = await readIfExists(path, 'utf8');
    if (text === undefined) return [];
    let parsed: Partial<PendingFile>;
    let events: Event[];
    try {
      parsed = JSON.parse(text) as Partial<PendingFile>;
      if (parsed.docId !== docId) return [];
      // The file is ours, but a disk or an editor may have mangled it: validate like network input.
      events = checkEvents(parsed.events);
    } catch {
      await rename(path, `${path}.damaged-${Date.now()}`).catch(() => undefined);
      return [];
    }
    return events;
  }

  async savePending(docId: string, events: readonly Event[]): Promise<void> {
    const body: PendingFile = { docId, events };
    await this.write(docId, 'pending.json', new TextEncoder().encode(JSON.stringify(body)));
  }

  async loadServerState(docId: string): Promise<ServerState | undefined> {
    const bytes = await readIfExists(this.path(docId, 'state.bin'));
    if (bytes === undefined || bytes.byteLength < 8) return undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(0) !== STATE_MAGIC) return undefined;
    const headerLength = view.getUint32(4);
    if (8 + headerLength > bytes.byteLength) return undefined;
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as { docId?: unknown; serverVersion?: unknown };
    if (header.docId !== docId || typeof header.serverVersion !== 'number' || !Number.isSafeInteger(header.serverVersion)) return undefined;
    return { serverVersion: header.serverVersion, snapshot: bytes.slice(8 + headerLength) };
  }

  async saveServerState(docId: string, state: ServerState): Promise<void> {
    const header = new TextEncoder().encode(JSON.stringify({ docId, serverVersion: state.serverVersion }));
    const out = new Uint8Array(8 + header.byteLength + state.snapshot.byteLength);
    const view = new DataView(out.buffer);
    view.setUint32(0, STATE_MAGIC);
    view.setUint32(4, header.byteLength);
    out.set(header, 8);
    out.set(state.snapshot, 8 + header.byteLength);
    await this.write(docId, 'state.bin', out);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.catch(() => undefined)));
  }

  private path(docId: string, kind: string): string {
    const hash = createHash('sha256').update(docId, 'utf8').digest('hex').slice(0, 40);
    return join(this.folder, `${hash}.${kind}`);
  }

  /** Atomic, durable replace of one file, after every earlier write of the same file. */
  private write(docId: string, kind: string, bytes: Uint8Array): Promise<void> {
    const target = this.path(docId, kind);
    const previous = this.queues.get(target) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.replace(target, bytes));
    const tail = run.catch(() => undefined);
    this.queues.set(target, tail);
    void tail.then(() => {
      if (this.queues.get(target) === tail) this.queues.delete(target);
    });
    return run;
  }

  private async replace(target: string, bytes: Uint8Array): Promise<void> {
    this.ready ??= mkdir(this.folder, { recursive: true }).then(() => undefined);
    await this.ready;
    const temp = `${target}.${randomId(8)}.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    await syncFolder(this.folder);
  }
}

async function readIfExists(path: string): Promise<Uint8Array | undefined>;
async function readIfExists(path: string, encoding: 'utf8'): Promise<string | undefined>;
async function readIfExists(path: string, encoding?: 'utf8'): Promise<Uint8Array | string | undefined> {
  try {
    return encoding === undefined ? new Uint8Array(await readFile(path)) : await readFile(path, encoding);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Makes a rename durable: the new directory entry is on disk once the folder itself is synced. */
async function syncFolder(folder: string): Promise<void> {
  let dir;
  try {
    dir = await open(folder, 'r');
    await dir.sync();
  } catch {
    // Some platforms (Windows) cannot open or sync a directory; the rename is still atomic there.
  } finally {
    await dir?.close();
  }
}
