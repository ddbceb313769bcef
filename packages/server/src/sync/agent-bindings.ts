/**
 * AgentBindings is a document session's view of which user each agent (one editing replica) belongs
 * to. An agent is bound, persistently and across nodes, to the user who first sent events under it;
 * events under an agent bound to someone else are refused, so nobody writes in another user's name.
 * Bindings never change once made, so they are cached: the store is asked once per new agent, not
 * once per event. It also names the authors of events another node stored, for `remote_operation`.
 */
import { TandemError } from '@tandem/core';
import type { DocId, Event } from '@tandem/core';
import { PermissionError } from '../auth/permission-error.js';
import type { DocStore, StoredEvent } from '../storage/doc-store.js';
import { isStoreError, StoreErrorCode } from '../storage/store-error.js';
import { StorageReadError } from './session-errors.js';

/** Consecutive stored events by one user: one `remote_operation`. */
export interface AuthorRun {
  readonly userId: string;
  readonly events: Event[];
  /** The version of the last event of the run. */
  readonly version: number;
}

export class AgentBindings {
  private readonly users = new Map<string, string>();

  constructor(
    private readonly docId: DocId,
    private readonly store: DocStore,
    /** Who events of unbound server agents are attributed to. */
    private readonly serverUser: string,
    private readonly serverPrefix: string,
  ) {}

  /**
   * Binds the agents of `events` the replica does not hold yet (`held` says which it does) to
   * `user`, and refuses the batch if one of them belongs to another user. Events already held are
   * resends (or relays) of stored history and change nothing, so they are not checked.
   */
  async check(user: string, events: readonly Event[], held: (e: Event) => boolean): Promise<void> {
    const seen = new Set<string>();
    for (const e of events) {
      const agent = e?.id?.agent;
      // Malformed events are left to the replica's validation, which names what is wrong.
      if (typeof agent !== 'string' || seen.has(agent) || typeof e.id.seq !== 'number' || held(e)) continue;
      seen.add(agent);
      let bound = this.users.get(agent);
      if (bound === undefined) {
        try {
          bound = await this.store.bindAgent(this.docId, agent, user);
        } catch (err) {
          // An agent id storage cannot hold is a bad event, not a server failure.
          if (isStoreError(err, StoreErrorCode.InvalidArgument)) throw new TandemError('ERR_INVALID_EVENT', err.message);
          // Nothing was merged or stored yet, so the session stays usable: the client may resend.
          throw new StorageReadError(`document ${this.docId} could not check agent ${JSON.stringify(agent)}; try again (${err instanceof Error ? err.message : String(err)})`);
        }
        this.users.set(agent, bound);
      }
      if (bound !== user) {
        throw new PermissionError(
          'PERMISSION_DENIED',
          `agent ${JSON.stringify(agent)} of document ${JSON.stringify(this.docId)} belongs to another user; user ${JSON.stringify(user)} may not send events under it`,
          { doc: this.docId, user },
        );
      }
    }
  }

  /**
   * Stored events split into runs by author. Every agent is bound before its first event is stored,
   * so one reload of the bindings names them all; an agent still unknown (history from before
   * bindings existed) is named by its own id, or as the server for server agents.
   */
  async runs(rows: readonly StoredEvent[]): Promise<AuthorRun[]> {
    if (rows.some((r) => !this.users.has(r.event.id.agent))) {
      try {
        for (const b of await this.store.agentBindings(this.docId)) this.users.set(b.agent, b.user);
      } catch (err) {
        throw new StorageReadError(`document ${this.docId}: agent bindings could not be read (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    const out: { userId: string; events: Event[]; version: number }[] = [];
    for (const row of rows) {
      const agent = row.event.id.agent;
      const userId = this.users.get(agent) ?? (agent.startsWith(this.serverPrefix) ? this.serverUser : agent);
      const last = out[out.length - 1];
      if (last !== undefined && last.userId === userId) {
        last.events.push(row.event);
        last.version = row.version;
      } else {
        out.push({ userId, events: [row.event], version: row.version });
      }
    }
    return out;
  }
}
