/**
 * The werift factory never reaches past what it was given: with no STUN server configured, the
 * ICE agents of both ends have none (werift alone would query a public one), and a configured one
 * is kept. Read from werift's internals on purpose: that default is internal too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { weriftPeerConnection } from '../src/node.js';
import type { PeerConnectionLike } from '../src/index.js';

function stunServers(pc: PeerConnectionLike): unknown[] {
  const internals = pc as unknown as { secureManager: { iceTransports: { connection: { stunServer: unknown } }[] } };
  return internals.secureManager.iceTransports.map((t) => t.connection.stunServer);
}

test('werift: no STUN server unless one is configured', async () => {
  const factory = weriftPeerConnection({ loopbackOnly: true });
  const offerer = factory({ iceServers: [] });
  const answerer = factory({ iceServers: [] });
  const configured = weriftPeerConnection()({ iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });
  try {
    offerer.createDataChannel('probe');
    configured.createDataChannel('probe');
    const offer = await offerer.createOffer();
    await offerer.setLocalDescription(offer);
    await answerer.setRemoteDescription(offerer.localDescription ?? offer);
    await answerer.setLocalDescription(await answerer.createAnswer());
    assert.deepEqual(stunServers(offerer), [undefined]);
    assert.deepEqual(stunServers(answerer), [undefined]);
    assert.deepEqual(stunServers(configured), [['127.0.0.1', 3478]]);
  } finally {
    await Promise.all([offerer.close(), answerer.close(), configured.close()]);
  }
});
