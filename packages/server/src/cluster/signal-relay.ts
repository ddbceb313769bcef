/**
 * SignalRelay carries WebRTC signaling between connections on different nodes. The sender's node
 * finds the target's node through presence (every connection that joins a document is a member of
 * its presence, so each node knows the other nodes' connections on its open documents) and sends
 * the signal there; the target's node checks that the connection is still on the document, as a
 * single node does, and reports a miss back, which the sender gets as NOT_FOUND. An announce (target
 * `*`: "every other connection on the document", how P2P clients introduce themselves) goes to every
 * node known to hold connections on the document, and each delivers it to its own; nobody is told
 * of a miss, as on a single node.
 */
import type { JsonValue } from '@tandem/core';
import { ErrorCode, SIGNAL_TO_ALL } from '@tandem/protocol';
import type { Level } from '@tandem/protocol';
import { sendToDocument, type Connection } from '../net/connection.js';
import type { ClusterBus, DirectMessage } from './cluster-bus.js';

const LEVELS: readonly string[] = ['owner', 'editor', 'commenter', 'viewer'];

export interface SignalRelayDeps {
  readonly bus: ClusterBus;
  readonly connections: ReadonlyMap<string, Connection>;
  /** The node holding connection `conn` on the document, if any. */
  readonly nodeOf: (docId: string, conn: string) => string | undefined;
  /** The other nodes holding connections on the document. */
  readonly nodesOn: (docId: string) => ReadonlySet<string>;
}


export class SignalRelay {
  constructor(private readonly deps: SignalRelayDeps) {}

  /** Called by a connection whose signal target is not on this node. */
  forward(signal: { docId: string; from: string; userId: string; level: Level; to: string; data: unknown }): boolean {
    const node = this.deps.nodeOf(signal.docId, signal.to);
    if (node === undefined) return false;
    const message: DirectMessage = { kind: 'signal', fromNode: this.deps.bus.nodeId, ...signal };
    void this.deps.bus.sendToNode(node, message).then((sent) => {
      if (!sent) this.missed(signal.docId, signal.from, signal.to);
    });
    return true;
  }

  /** Called by a connection announcing itself on a document: the other nodes deliver it too. */
  announce(signal: { docId: string; from: string; userId: string; level: Level; data: unknown }): void {
    for (const node of this.deps.nodesOn(signal.docId)) {
      void this.deps.bus.sendToNode(node, { kind: 'signal', fromNode: this.deps.bus.nodeId, ...signal, to: SIGNAL_TO_ALL });
    }
  }

  onDirect(m: DirectMessage): void {
    if (m.kind === 'signal_failed') {
      this.missed(m.docId, m.from, m.to);
      return;
    }
    if (m.to === SIGNAL_TO_ALL) {
      if (!LEVELS.includes(m.level)) return;
      sendToDocument(this.deps.connections.values(), m.docId, { type: 'signal', docId: m.docId, from: m.from, userId: m.userId, level: m.level as Level, data: m.data as JsonValue });
      return;
    }
    const target = this.deps.connections.get(m.to);
    if (target === undefined || target.levelOn(m.docId) === undefined || !LEVELS.includes(m.level)) {
      void this.deps.bus.sendToNode(m.fromNode, { kind: 'signal_failed', docId: m.docId, from: m.from, to: m.to });
      return;
    }
    target.send({ type: 'signal', docId: m.docId, from: m.from, userId: m.userId, level: m.level as Level, data: m.data as JsonValue });
  }

  private missed(docId: string, from: string, to: string): void {
    this.deps.connections.get(from)?.send({ type: 'error', code: ErrorCode.NotFound, message: `no connection ${JSON.stringify(to)} on document ${JSON.stringify(docId)}`, docId, ref: 'signal' });
  }
}
