#!/usr/bin/env node
import { runCheckCommand } from './commands/check-command.js';
import { migrateCommand } from './commands/migrate-command.js';
import { type CommandIo, EXIT, processIo, usageError } from './commands/output.js';
import { runQueueCommand } from './commands/queue-command.js';
// The `moderation-worker` bin: dispatches subcommands; each lives in src/commands (or its owner's folder).
import { backfillCommand, enqueueCommand } from './commands/queue-commands.js';
import { runReportCommand } from './commands/report-command.js';
import { RUN_USAGE, runCommand } from './commands/run-command.js';

const USAGE = `Usage: moderation-worker <command> [options]

Commands:
  run (default)                      consume ranked-match analysis jobs; health and metrics over HTTP
  migrate up|down [n]|status|force   apply or inspect this project's database migrations
  enqueue <matchId>...               queue analysis of matches
  backfill [--since] [--status]      re-enqueue matches whose analysis did not complete
  report ...                         record a player report
  check                              check the configuration and dependencies
  queue pause|resume|status          operate the analysis queue
Run "moderation-worker <command> --help" for a command's options.
`;

type Command = (argv: string[], env: NodeJS.ProcessEnv, io: CommandIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: async (argv, env, io) => {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(RUN_USAGE);
      return EXIT.ok;
    }
    if (argv.length > 0) return usageError(io, `run takes no arguments (got "${argv[0]}")`, RUN_USAGE);
    return runCommand(env, io);
  },
  migrate: migrateCommand,
  enqueue: enqueueCommand,
  backfill: backfillCommand,
  report: (argv, env, io) => runReportCommand(argv, env, io),
  check: (argv, env, io) => runCheckCommand(argv, env, io),
  queue: (argv, env, io) => runQueueCommand(argv, env, io),
};

/** Runs the CLI with `argv` (after the node and script paths); resolves to the exit code. */
async function main(argv: string[], env: NodeJS.ProcessEnv, io: CommandIo = processIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const name = first ?? 'run';
  const command = COMMANDS[name];
  if (!command) return usageError(io, `unknown command "${name}"`, USAGE);
  return command(rest, env, io);
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`moderation-worker: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(EXIT.failure);
  },
);
