/**
 * Entry point of `npm run bench -- <subcommand> [flags]`: dispatches to the benchmark subcommands
 * (`core`: the sync core against Yjs and Automerge; `server`: the servers under load) and ensures
 * `--expose-gc` where a subcommand needs it.
 */
import { CORE_USAGE, parseCoreArgs, runCoreCommand, UsageError } from './core/core-command.js';
import { TraceFormatError } from './core/trace-format.js';
import { CLUSTER_USAGE, ClusterUsageError, parseClusterArgs, runClusterCommand } from './cluster/cluster-command.js';
import { relaunchWithExposedGcIfNeeded } from './gc-exposure.js';
import { P2P_USAGE, P2PUsageError, parseP2PArgs, runP2PCommand } from './p2p/p2p-command.js';
import { parseServerArgs, runServerCommand, SERVER_USAGE, ServerUsageError } from './server/server-command.js';

const USAGE = `usage: npm run bench -- <subcommand> [flags]

subcommands:
  ${CORE_USAGE.split('\n').join('\n  ')}
  ${SERVER_USAGE.split('\n').join('\n  ')}
  ${CLUSTER_USAGE.split('\n').join('\n  ')}
  ${P2P_USAGE.split('\n').join('\n  ')}
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
    case 'server':
      // The server benchmark measures other processes; its memory probes start with --expose-gc themselves.
      return runServerCommand(parseServerArgs(rest));
    case 'cluster':
      return runClusterCommand(parseClusterArgs(rest));
    case 'p2p':
      return runP2PCommand(parseP2PArgs(rest));
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
    if (error instanceof UsageError || error instanceof ServerUsageError || error instanceof ClusterUsageError || error instanceof P2PUsageError) {
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
