/**
 * The interface between the load engine and a collaboration system: a driver connects one client to
 * one document of a running server, and the client makes random local edits on request while it
 * applies everyone else's, reporting both to the document's delivery tracker. Tandem's driver lives in
 * this folder; the peers' (Yjs, ShareDB) beside the server benchmark.
 */
import type { DocTracker } from './delivery-tracker.js';
import type { TypingModel } from './typing-model.js';

export const SYSTEM_IDS = ['tandem', 'yjs', 'sharedb'] as const;
export type SystemId = (typeof SYSTEM_IDS)[number];

export const SYSTEM_LABELS: Readonly<Record<SystemId, string>> = { tandem: 'Tandem', yjs: 'Yjs (y-websocket)', sharedb: 'ShareDB' };

export function isSystemId(value: string): value is SystemId {
  return (SYSTEM_IDS as readonly string[]).includes(value);
}

/** What goes wrong on clients, counted per worker. */
export class ClientIssues {
  /** Protocol errors by code (these fail a `tandem-load` run). */
  readonly errors = new Map<string, number>();
  /** Operations the server refused as over its rate limit (retried, so not protocol errors). */
  rateLimited = 0;
  /** Connections that closed while the run was on. */
  disconnects = 0;
  /** The first few error messages, for the report. */
  readonly samples: string[] = [];

  error(code: string, message: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    if (this.samples.length < 5) this.samples.push(`${code}: ${message}`);
  }

  get errorCount(): number {
    let n = 0;
    for (const count of this.errors.values()) n += count;
    return n;
  }
}

export interface ClientContext {
  /** Server address: a WebSocket URL (Tandem, Yjs) or its base for the system's own path. */
  readonly url: string;
  readonly docId: string;
  /** Unique across the run's workers: names agents and dev users. */
  readonly clientName: string;
  /** JWT for Tandem servers that are not in dev mode. */
  readonly token?: string;
  readonly tracker: DocTracker;
  readonly issues: ClientIssues;
  /** False once the run is stopping: closes are then expected, not disconnects. */
  readonly running: () => boolean;
}

export interface LoadClient {
  /** Makes one random local edit now and sends it the way the system's clients do; false if it could not (closed, failed). */
  edit(model: TypingModel): boolean;
  /** Length of the client's text now. */
  textLength(): number;
  /** Closes the connection. */
  close(): void;
}

export interface LoadDriver {
  readonly system: SystemId;
  /** Connects, joins the document and waits until the client holds its current state. */
  connect(context: ClientContext): Promise<LoadClient>;
}

/** Loads the driver of a system on demand (peer libraries are only imported when used). */
export async function loadDriver(system: SystemId): Promise<LoadDriver> {
  switch (system) {
    case 'tandem':
      return (await import('./tandem-driver.js')).tandemDriver;
    case 'yjs':
      return (await import('../server/drivers/yjs-driver.js')).yjsDriver;
    case 'sharedb':
      return (await import('../server/drivers/sharedb-driver.js')).sharedbDriver;
  }
}
