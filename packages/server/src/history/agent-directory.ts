/**
 * AgentDirectory answers "which user wrote this event?" for history: the agent → user bindings the
 * document sessions record, read from storage and cached per document. A binding never changes once
 * made, so a cached one is never stale; an agent missing from the cache makes one reload, because
 * it may have been bound since.
 */
import type { DocId } from '@tandem/core';
import type { DocStore } from '../storage/doc-store.js';
import { SERVER_AGENT_PREFIX, SERVER_USER } from '../sync/document-session.js';

/** Turns an agent of a document into the user it belongs to. */
export type AgentResolver = (agent: string) => string;

export class AgentDirectory {
  /** Per document, in least-recently-used order (oldest first). */
  private readonly cache = new Map<DocId, Map<string, string>>();

  constructor(
    private readonly store: DocStore,
    private readonly maxDocs = 256,
  ) {}

  /**
   * A resolver for the given agents of the document. Agents with no binding (events stored before
   * bindings existed) are named by the agent id itself, or as the server for server agents.
   */
  async resolver(doc: DocId, agents: Iterable<string>): Promise<AgentResolver> {
    let known = this.cache.get(doc);
    if (known !== undefined) this.cache.delete(doc);
    for (const agent of agents) {
      if (known !== undefined && known.has(agent)) continue;
      known = new Map((await this.store.agentBindings(doc)).map((b) => [b.agent, b.user]));
      break;
    }
    known ??= new Map();
    this.cache.set(doc, known);
    while (this.cache.size > this.maxDocs) this.cache.delete(this.cache.keys().next().value as DocId);
    const bindings = known;
    return (agent) => bindings.get(agent) ?? (agent.startsWith(SERVER_AGENT_PREFIX) ? SERVER_USER : agent);
  }
}
