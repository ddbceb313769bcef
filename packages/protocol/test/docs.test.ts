/**
 * Keeps docs/protocol.md honest: every ```json block in it must be a valid client or server
 * message, and together the blocks must show every message type of both directions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLIENT_MESSAGE_TYPES, ErrorCode, parseClientMessage, parseServerMessage, ProtocolError, SERVER_MESSAGE_TYPES } from '../src/index.js';

// Compiled to packages/protocol/dist/test/, four levels below the repository root.
const DOC = fileURLToPath(new URL('../../../../docs/protocol.md', import.meta.url));

function jsonBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^[ \t]*```json[ \t]*\n([\s\S]*?)^[ \t]*```[ \t]*$/gm;
  for (let m = fence.exec(markdown); m !== null; m = fence.exec(markdown)) blocks.push(m[1] ?? '');
  return blocks;
}

/** The error of `run`, or undefined when it succeeds. */
function failure(run: () => unknown): ProtocolError | undefined {
  try {
    run();
    return undefined;
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
}

describe('docs/protocol.md', () => {
  it('has only valid messages in its json examples, covering every type in both directions', () => {
    const blocks = jsonBlocks(readFileSync(DOC, 'utf8'));
    assert.ok(blocks.length >= CLIENT_MESSAGE_TYPES.length + SERVER_MESSAGE_TYPES.length, `found ${blocks.length} json blocks`);
    const client = new Set<string>();
    const server = new Set<string>();
    for (const block of blocks) {
      const asClient = failure(() => client.add(parseClientMessage(block).type));
      const asServer = failure(() => server.add(parseServerMessage(block).type));
      if (asClient !== undefined && asServer !== undefined) {
        assert.fail(`example is not a valid message:\n${block}\nas client message: ${asClient.message}\nas server message: ${asServer.message}`);
      }
    }
    assert.deepStrictEqual([...client].sort(), [...CLIENT_MESSAGE_TYPES].sort(), 'client message types shown');
    assert.deepStrictEqual([...server].sort(), [...SERVER_MESSAGE_TYPES].sort(), 'server message types shown');
  });

  it('has a table row for every error code', () => {
    const text = readFileSync(DOC, 'utf8');
    for (const code of Object.values(ErrorCode)) {
      assert.ok(text.includes(`| \`${code}\` |`), `error table row for ${code}`);
    }
  });
});
