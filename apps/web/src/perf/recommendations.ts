/**
 * Plain-language advice from the live numbers: each rule names a threshold, says what crossing it
 * means for the people editing, and what to try. The 150 ms target for op latency is the point
 * past which collaborators start to notice that typing arrives late. A direct link that could not
 * be set up is worth a word too: it costs latency only, and the usual cause (NAT, firewall) has a
 * known remedy.
 */
import type { Sample } from './metrics-sampler.js';

export const LATENCY_TARGET_MS = 150;
const RTT_WARN_MS = 100;
const BANDWIDTH_WARN_BYTES = 256 * 1024;
const PENDING_WARN = 50;
const RECONNECT_WARN = 3;

export interface Recommendation {
  readonly level: 'ok' | 'warn' | 'bad';
  readonly text: string;
}

const ms = (n: number): string => `${Math.round(n)} ms`;

export function recommendations(samples: readonly Sample[], nameOf: (userId: string) => string = (id) => id): Recommendation[] {
  const latest = samples[samples.length - 1];
  if (latest === undefined) return [{ level: 'ok', text: 'Collecting numbers…' }];
  const out: Recommendation[] = [];
  if (latest.transport === 'none') {
    out.push({ level: 'warn', text: 'You are offline. Edits are kept on this device and sync as soon as the connection is back.' });
  }
  const p95 = latest.latency.p95;
  const rtt = latest.rtt.p50;
  if (p95 !== undefined && p95 > LATENCY_TARGET_MS) {
    const cause =
      rtt !== undefined && rtt > RTT_WARN_MS
        ? `The network round trip alone is ${ms(rtt)}, so the network is the main cause: a closer server or a better connection helps.`
        : 'The network is quick, so the server is slow to store edits: check its storage latency on /metrics, or add capacity.';
    out.push({ level: 'bad', text: `1 edit in 20 takes longer than ${LATENCY_TARGET_MS} ms to be confirmed (p95 ${ms(p95)}); others may see your typing late. ${cause}` });
  } else if (rtt !== undefined && rtt > RTT_WARN_MS) {
    out.push({ level: 'warn', text: `The round trip to the server is ${ms(rtt)}. Edits still feel live, but a closer server would give more headroom.` });
  }
  const recent = samples.slice(-60);
  const first = recent[0];
  if (first !== undefined && latest.reconnects - first.reconnects >= RECONNECT_WARN) {
    out.push({ level: 'warn', text: `The connection dropped ${latest.reconnects - first.reconnects} times in the last minute. A flaky network, or a proxy that closes WebSockets, is the usual cause.` });
  }
  if (latest.pending > PENDING_WARN) {
    out.push({ level: 'warn', text: `${latest.pending} changes are waiting to be sent. They are safe on this device; they go out as soon as the server accepts them.` });
  }
  if (latest.inRate > BANDWIDTH_WARN_BYTES || latest.outRate > BANDWIDTH_WARN_BYTES) {
    out.push({ level: 'warn', text: 'More than 256 KB/s is moving: a large paste or a very busy document. On a slow connection this delays everyone’s edits.' });
  }
  const unlinked = [...new Set(latest.p2p.peers.filter((p) => p.state === 'failed').map((p) => nameOf(p.userId)))];
  if (latest.p2p.enabled && unlinked.length > 0) {
    out.push({
      level: 'warn',
      text: `No direct link to ${unlinked.join(', ')}: their edits come through the server, which works but adds its round trip. A firewall or NAT between you usually blocks it; a TURN server in the app's ICE servers (VITE_TANDEM_ICE_SERVERS) gets through.`,
    });
  }
  if (out.length === 0) out.push({ level: 'ok', text: `All good: edits are confirmed well within ${LATENCY_TARGET_MS} ms.` });
  return out;
}
