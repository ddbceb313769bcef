/**
 * Fuzzes both parsers with well over 100,000 random and mutated frames per run. Every frame must
 * either parse or throw a ProtocolError with a known code; anything else (a TypeError, a
 * RangeError, a stack overflow) fails the test and prints the seed that replays the run. Every
 * accepted message must survive a JSON round trip unchanged, and Object.prototype must end as it began.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLIENT_MESSAGE_TYPES,
  ErrorCode,
  parseClientMessage,
  parseServerMessage,
  ProtocolError,
  SERVER_MESSAGE_TYPES,
  type ProtocolLimits,
} from '../src/index.js';
import { CLIENT_EXAMPLES, SERVER_EXAMPLES } from './support/examples.js';
import { ALL_TYPES, deepNest, mutateOnce, mutateText, randomBytes, randomValue } from './support/mutate.js';
import { withSeed, type Rng } from './support/random.js';

const CLIENT_FRAMES = 100_000;
const SERVER_FRAMES = 30_000;
const CODES: readonly string[] = Object.values(ErrorCode);

type Parser = (raw: string | Uint8Array, limits?: ProtocolLimits) => { readonly type: string };

/** One hostile frame, derived from the valid `examples`. */
function frame(rng: Rng, examples: readonly object[]): string | Uint8Array {
  const base = JSON.parse(JSON.stringify(rng.pick(examples))) as Record<string, unknown>;
  const r = rng.next();
  if (r < 0.1) return JSON.stringify(base, null, rng.bool() ? 2 : undefined); // valid, maybe pretty-printed
  if (r < 0.65) {
    for (let i = rng.int(3) + 1; i > 0; i--) mutateOnce(rng, base);
    const text = JSON.stringify(base);
    return rng.bool(0.25) ? mutateText(rng, text) : text;
  }
  if (r < 0.78) return mutateText(rng, JSON.stringify(base));
  if (r < 0.88) {
    const o = randomValue(rng);
    if (typeof o === 'object' && o !== null && !Array.isArray(o)) Object.defineProperty(o, 'type', { value: rng.pick(ALL_TYPES), enumerable: true });
    return JSON.stringify(rng.bool(0.1) ? deepNest(rng, 200) : o) ?? 'null';
  }
  return randomBytes(rng, JSON.stringify(base));
}

function randomLimits(rng: Rng): ProtocolLimits | undefined {
  if (rng.bool(0.85)) return undefined;
  return { maxMessageBytes: 10 + rng.int(2000), maxEventsPerMessage: 1 + rng.int(4), maxOpComponents: 1 + rng.int(4) };
}

function excerpt(raw: string | Uint8Array): string {
  const text = typeof raw === 'string' ? raw : `bytes ${Buffer.from(raw).toString('hex')}`;
  return text.length > 400 ? `${text.slice(0, 400)}… (${text.length} chars)` : text;
}

/** Feeds `count` frames to `parse`; returns outcome counts by code (and "ok"). */
function fuzz(rng: Rng, count: number, parse: Parser, examples: readonly object[], types: readonly string[]): Map<string, number> {
  const tally = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const raw = frame(rng, examples);
    const limits = randomLimits(rng);
    let parsed: { readonly type: string } | undefined;
    let error: unknown;
    try {
      parsed = parse(raw, limits);
    } catch (e) {
      error = e;
    }
    const where = `frame ${i}, input: ${excerpt(raw)}`;
    let outcome: string;
    if (parsed !== undefined) {
      assert.ok(types.includes(parsed.type), `accepted unknown type ${parsed.type}; ${where}`);
      // Accepted output is canonical: serialising and parsing it again gives the same message.
      const again = parse(JSON.stringify(parsed), limits === undefined ? undefined : { ...limits, maxMessageBytes: undefined });
      assert.deepStrictEqual(again, parsed, where);
      outcome = 'ok';
    } else {
      if (!(error instanceof ProtocolError)) {
        throw new Error(`threw ${error instanceof Error ? (error.stack ?? error.message) : String(error)} instead of a ProtocolError; ${where}`);
      }
      assert.ok(CODES.includes(error.code) && error.message.length > 0, `bad error ${error.code} ${JSON.stringify(error.message)}; ${where}`);
      if (error.ref !== undefined) assert.ok(error.ref.length > 0 && error.ref.length <= 128, `ref ${error.ref}; ${where}`);
      if (error.docId !== undefined) assert.ok(error.docId.length > 0 && error.docId.length <= 256, where);
      outcome = error.code;
    }
    tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
  }
  return tally;
}

describe('parser fuzzing', () => {
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  it(`parseClientMessage: ${CLIENT_FRAMES} random and mutated frames`, (t) => {
    withSeed('client parser fuzz', (rng) => {
      const tally = fuzz(rng, CLIENT_FRAMES, parseClientMessage, CLIENT_EXAMPLES, CLIENT_MESSAGE_TYPES);
      t.diagnostic(`seed ${rng.seed}: ${[...tally].map(([k, v]) => `${k}=${v}`).join(' ')}`);
      // The generator must exercise both sides of the parser, or the test proves little.
      assert.ok((tally.get('ok') ?? 0) > CLIENT_FRAMES * 0.05, 'enough frames were accepted');
      for (const code of [ErrorCode.BadMessage, ErrorCode.UnknownType, ErrorCode.InvalidOperation, ErrorCode.LimitExceeded, ErrorCode.MessageTooBig]) {
        assert.ok((tally.get(code) ?? 0) > 0, `some frames failed with ${code}`);
      }
    });
  });

  it(`parseServerMessage: ${SERVER_FRAMES} random and mutated frames`, (t) => {
    withSeed('server parser fuzz', (rng) => {
      const tally = fuzz(rng, SERVER_FRAMES, parseServerMessage, SERVER_EXAMPLES, SERVER_MESSAGE_TYPES);
      t.diagnostic(`seed ${rng.seed}: ${[...tally].map(([k, v]) => `${k}=${v}`).join(' ')}`);
      assert.ok((tally.get('ok') ?? 0) > SERVER_FRAMES * 0.05, 'enough frames were accepted');
    });
  });

  it('leaves Object.prototype untouched', () => {
    assert.deepStrictEqual(Object.getOwnPropertyNames(Object.prototype).sort(), protoBefore);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});
