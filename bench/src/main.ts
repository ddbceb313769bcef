/**
 * Entry point of `npm run bench -- <subcommand> [flags]`: dispatches to the benchmark subcommands
 * (only `core` today; server benchmarks will be added beside it) and ensures `--expose-gc`.
 */
import { CORE_USAGE, parseCoreArgs, runCoreCommand, UsageError } from './core/core-command.js';
import { TraceFormatError } from './core/trace-format.js';
import { relaunchWithExposedGcIfNeeded } from './gc-exposure.js';

const USAGE = `usage: npm run bench -- <subcommand> [flags]

subcommands:
  ${CORE_USAGE.split('\n').join('\n  ')}
`;

async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  switch (command) {
    case 'core': {
      const options = parseCoreArgs(rest);
      return relaunchWithExposedGcIfNeeded() ?? (await runCoreCommand(options));
    }
    default:
      process.stderr.write(`${command === undefined ? 'missing subcommand' : `unknown subcommand: ${command}`}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    // A trace file that breaks the format is the user's input, not a bug: its message is enough.
    const expected = error instanceof TraceFormatError;
    process.stderr.write(`${error instanceof Error ? (expected ? error.message : (error.stack ?? error.message)) : String(error)}\n`);
    process.exitCode = 1;
  },
);
