/**
 * Branded identifiers and the event id / version types shared by every part of Tandem.
 */

/** An agent: one editing replica (a user on one device/tab, a server, a bot). */
export type AgentId = string & { readonly __brand: 'AgentId' };
/** A document's id. */
export type DocId = string & { readonly __brand: 'DocId' };

/** Longest accepted agent id, in UTF-16 code units. */
export const MAX_AGENT_ID_LENGTH = 128;

/** Identity of an event: its agent and that agent's sequence number (0, 1, 2, … with no gaps). */
export interface EventId {
  readonly agent: AgentId;
  readonly seq: number;
}

/**
 * A version, as a frontier: the events with no known descendant. The empty frontier is the empty
 * document. Frontiers are kept sorted by (agent, seq) so equal versions compare equal as JSON.
 */
export type Version = readonly EventId[];

/** For each agent, how many of its events a replica holds (its seqs 0..n-1). */
export type VersionVector = Readonly<Record<string, number>>;

/** Casts a string to an AgentId after checking it is a plausible agent id. */
export function agentId(s: string): AgentId {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_AGENT_ID_LENGTH) {
    throw new TypeError(`agent id must be a string of 1..${MAX_AGENT_ID_LENGTH} characters, got ${JSON.stringify(s)}`);
  }
  return s as AgentId;
}

/** Casts a string to a DocId. */
export function docId(s: string): DocId {
  if (typeof s !== 'string' || s.length === 0) throw new TypeError(`doc id must be a non-empty string, got ${JSON.stringify(s)}`);
  return s as DocId;
}

/** Total order on event ids: by agent (code unit order), then seq. */
export function compareEventIds(a: EventId, b: EventId): number {
  if (a.agent !== b.agent) return a.agent < b.agent ? -1 : 1;
  return a.seq - b.seq;
}

export function eventIdToString(id: EventId): string {
  return `${id.agent}:${id.seq}`;
}
