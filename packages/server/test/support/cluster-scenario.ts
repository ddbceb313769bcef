/**
 * The moving parts cluster tests share: a set of ClusterPeers spread over the nodes and documents
 * of a cluster, one change signal for all of them (waits re-check their condition on it), and the
 * waits every scenario needs — all acknowledged, converged per document, presence converged — each
 * with a deadline and a message saying what was awaited.
 */
import type { DocOutcome } from './cluster-harness.js';
import { contentOf } from './event-log.js';
import { ClusterPeer, until } from './cluster-peer.js';
import { SeededRandom } from './storage-random.js';

export interface ScenarioPeers {
  readonly peers: ClusterPeer[];
  /** Peer index → node index. */
  readonly nodeOf: number[];
  readonly listeners: Set<() => void>;
  /** Resolves when `condition` holds (re-checked on every peer change), or rejects after `ms`. */
  until(condition: () => boolean, ms: number, what: string): Promise<void>;
}

/** `count` peers: peer i is user u<i> on node `i % nodes`; each run of `nodes` peers shares a document. */
export function makePeers(count: number, nodes: number, docs: readonly string[], rng: SeededRandom, options: { budget: number; presenceEvery?: number }): ScenarioPeers {
  const listeners = new Set<() => void>();
  const onChange = (): void => {
    for (const l of [...listeners]) l();
  };
  const peers: ClusterPeer[] = [];
  const nodeOf: number[] = [];
  for (let i = 0; i < count; i++) {
    peers.push(
      new ClusterPeer({
        userId: `u${i}`,
        docId: docs[Math.floor(i / nodes) % docs.length]!,
        agent: `p${i}-${rng.seed}`,
        rng: new SeededRandom(rng.range(0, 2 ** 31)),
        window: rng.range(1, 4),
        budget: options.budget,
        presenceEvery: options.presenceEvery ?? 4,
        onChange,
      }),
    );
    nodeOf.push(i % nodes);
  }
  return { peers, nodeOf, listeners, until: (condition, ms, what) => until(peers, condition, ms, what, listeners) };
}

/** The users of each document, for grantDocs. */
export function usersByDoc(peers: readonly ClusterPeer[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of peers) out.set(p.docId, [...(out.get(p.docId) ?? []), p.userId]);
  return out;
}

/** Every peer of each document has the same version and text. */
export function converged(peers: readonly ClusterPeer[]): boolean {
  const byDoc = new Map<string, ClusterPeer[]>();
  for (const p of peers) byDoc.set(p.docId, [...(byDoc.get(p.docId) ?? []), p]);
  for (const group of byDoc.values()) {
    const first = group[0]!;
    if (!group.every((p) => p.unacknowledged === 0 && p.version === first.version && p.doc.getText('body') === first.doc.getText('body'))) return false;
  }
  return true;
}

/**
 * Every peer sees exactly the other connected peers of its document, each with its latest
 * activity, plus the users of `alsoPresent` (other clients on the document, by document).
 */
export function presenceConverged(peers: readonly ClusterPeer[], alsoPresent: ReadonlyMap<string, readonly string[]> = new Map()): boolean {
  for (const p of peers) {
    const others = peers.filter((q) => q !== p && q.docId === p.docId && q.userId !== p.userId);
    const extra = alsoPresent.get(p.docId) ?? [];
    if (p.view.size !== others.length + extra.length) return false;
    for (const q of others) if (p.view.get(q.userId)?.activity !== q.activity) return false;
    for (const u of extra) if (!p.view.has(u)) return false;
  }
  return true;
}

/** What storage is checked against, per document (texts from `survivors`, all sends and acks). */
export function outcomes(all: readonly ClusterPeer[], survivors: readonly ClusterPeer[]): DocOutcome[] {
  const docs = [...new Set(all.map((p) => p.docId))];
  return docs.map((docId) => ({
    docId,
    sent: all.filter((p) => p.docId === docId).flatMap((p) => p.sent),
    acked: all.filter((p) => p.docId === docId).flatMap((p) => p.acked),
    texts: survivors.filter((p) => p.docId === docId).map((p) => ({ texts: contentOf(p.doc).texts })),
  }));
}
