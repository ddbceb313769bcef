/**
 * The server benchmark's scenarios: one document shared by many clients, and many documents with a
 * few clients each, each at a series of offered loads (edits per second, in all). The quick matrix
 * fits in a few minutes; the full one is the issue's.
 */

export interface Scenario {
  readonly id: string;
  readonly label: string;
  readonly docs: number;
  readonly clientsPerDoc: number;
  /** Offered loads, ascending; stepping stops after the first whose p99 passes the threshold. */
  readonly rates: readonly number[];
}

export interface Matrix {
  readonly name: 'quick' | 'full';
  readonly scenarios: readonly Scenario[];
  /** Measured window of each run. */
  readonly durationMs: number;
  /** Longest wait after the window for edits still on their way. */
  readonly drainMs: number;
}

/** The latency threshold whose crossing the stepping looks for. */
export const P99_THRESHOLD_MS = 150;

function oneDoc(clients: number, rates: readonly number[]): Scenario {
  return { id: `1x${clients}`, label: `1 doc × ${clients.toLocaleString('en-US')} clients`, docs: 1, clientsPerDoc: clients, rates };
}

function manyDocs(docs: number, clientsPerDoc: number, rates: readonly number[]): Scenario {
  return {
    id: `${docs}x${clientsPerDoc}`,
    label: `${docs.toLocaleString('en-US')} docs × ${clientsPerDoc} clients`,
    docs,
    clientsPerDoc,
    rates,
  };
}

const QUICK_RATES = [1_000, 5_000];
const FULL_RATES = [1_000, 2_000, 5_000, 10_000, 20_000];

export const QUICK: Matrix = {
  name: 'quick',
  scenarios: [oneDoc(10, QUICK_RATES), oneDoc(100, QUICK_RATES), manyDocs(100, 5, QUICK_RATES)],
  durationMs: 6_000,
  drainMs: 5_000,
};

export const FULL: Matrix = {
  name: 'full',
  scenarios: [oneDoc(10, FULL_RATES), oneDoc(100, FULL_RATES), oneDoc(1_000, FULL_RATES), manyDocs(1_000, 5, FULL_RATES)],
  durationMs: 15_000,
  drainMs: 10_000,
};
