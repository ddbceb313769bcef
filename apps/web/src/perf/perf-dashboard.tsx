/**
 * The performance dashboard: live op latency (p50 / p95 / p99 of edit → durable acknowledgement)
 * charted against the 150 ms target, heartbeat round trip, bandwidth in and out, messages and
 * document events per second, the transport in use, reconnects, direct links to the other people
 * (peer-to-peer: per peer, the path and its latency), and advice when a threshold is crossed.
 * Numbers are this browser's view of the connection, sampled every second.
 */
import type { TandemClient, TandemDocument } from '@tandem/client';
import type { P2PSettings } from '../lib/p2p-settings.js';
import { LatencyChart } from './latency-chart.js';
import { useMetricsHistory, type Sample } from './metrics-sampler.js';
import { PeerLinks } from './peer-links.js';
import { LATENCY_TARGET_MS, recommendations } from './recommendations.js';

interface Props {
  readonly client: TandemClient;
  readonly doc: TandemDocument;
  readonly p2p: P2PSettings;
  /** A user's display name (for the direct-links table and the advice). */
  readonly nameOf: (userId: string) => string;
  readonly onClose: () => void;
}

const fmtMs = (v: number | undefined): string => (v === undefined ? '—' : `${Math.round(v)} ms`);

function fmtRate(bytesPerSecond: number): string {
  if (bytesPerSecond < 1024) return `${Math.round(bytesPerSecond)} B/s`;
  return `${(bytesPerSecond / 1024).toFixed(1)} KB/s`;
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function Stat({ label, value, detail, tone, id }: { label: string; value: string; detail?: string; tone?: 'good' | 'bad'; id: string }) {
  return (
    <div className={`stat ${tone !== undefined ? `stat-${tone}` : ''}`} data-stat={id}>
      <span className="stat-label">{label}</span>
      <span className="stat-value">{value}</span>
      {detail !== undefined && <span className="stat-detail">{detail}</span>}
    </div>
  );
}

function latencyTone(v: number | undefined): 'good' | 'bad' | undefined {
  if (v === undefined) return undefined;
  return v <= LATENCY_TARGET_MS ? 'good' : 'bad';
}

export function PerfDashboard({ client, doc, p2p, nameOf, onClose }: Props) {
  const samples = useMetricsHistory(client, doc);
  const latest: Sample | undefined = samples[samples.length - 1];
  const advice = recommendations(samples, nameOf);
  return (
    <aside className="panel panel-wide" aria-label="Performance" data-testid="perf-panel">
      <header className="panel-header">
        <h2>Performance</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close performance dashboard">
          ✕
        </button>
      </header>
      <section aria-label="Op latency">
        <h3>Op latency</h3>
        <div className="stats">
          <Stat id="p50" label="p50" value={fmtMs(latest?.latency.p50)} tone={latencyTone(latest?.latency.p50)} />
          <Stat id="p95" label="p95" value={fmtMs(latest?.latency.p95)} tone={latencyTone(latest?.latency.p95)} />
          <Stat id="p99" label="p99" value={fmtMs(latest?.latency.p99)} tone={latencyTone(latest?.latency.p99)} detail={latest !== undefined ? `${latest.latency.count} edits measured` : undefined} />
        </div>
        <LatencyChart samples={samples.slice(-60)} capacity={60} />
      </section>
      <section aria-label="Connection">
        <h3>Connection</h3>
        <div className="stats">
          <Stat id="rtt" label="Round trip" value={fmtMs(latest?.rtt.p50)} detail={latest?.rtt.p95 !== undefined ? `p95 ${fmtMs(latest.rtt.p95)}` : undefined} />
          <Stat id="in" label="In" value={latest === undefined ? '—' : fmtRate(latest.inRate)} detail={latest !== undefined ? `${fmtBytes(latest.bytesIn)} total` : undefined} />
          <Stat id="out" label="Out" value={latest === undefined ? '—' : fmtRate(latest.outRate)} detail={latest !== undefined ? `${fmtBytes(latest.bytesOut)} total` : undefined} />
          <Stat id="events" label="Events/s" value={latest === undefined ? '—' : latest.eventsPerSecond.toFixed(1)} detail={latest !== undefined ? `${latest.messagesPerSecond.toFixed(1)} messages/s` : undefined} />
          <Stat id="transport" label="Transport" value={latest === undefined ? '—' : latest.transport === 'none' ? 'offline' : latest.transport} detail={latest !== undefined ? `${latest.reconnects} reconnect${latest.reconnects === 1 ? '' : 's'}` : undefined} />
        </div>
      </section>
      <PeerLinks settings={p2p} p2p={latest?.p2p} nameOf={nameOf} />
      <section aria-label="Recommendations">
        <h3>Recommendations</h3>
        <ul className="advice" data-testid="advice">
          {advice.map((a) => (
            <li key={a.text} className={`advice-${a.level}`}>
              {a.text}
            </li>
          ))}
        </ul>
      </section>
    </aside>
  );
}
