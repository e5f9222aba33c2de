#!/usr/bin/env node
// The `moderation-worker` bin: dispatches to the commands in src/commands, one file each.
import { backfillCommand } from './commands/backfill-command.js';
import { checkCommand } from './commands/check-command.js';
import {
  type Command,
  type CommandIo,
  commandOutput,
  EXIT,
  failure,
  processIo,
  usageError,
} from './commands/command-io.js';
import { enqueueCommand } from './commands/enqueue-command.js';
import { migrateCommand } from './commands/migrate-command.js';
import { queueCommand } from './commands/queue-command.js';
import { reportCommand } from './commands/report-command.js';
import { runCommand } from './commands/run-command.js';
import { secretValues } from './commands/secret-redaction.js';
import { WORKER_VERSION } from './package-version.js';

/** Every command, in the order the usage lists them; the first is the default. */
const COMMANDS: readonly Command[] = [
  runCommand,
  migrateCommand,
  enqueueCommand,
  backfillCommand,
  reportCommand,
  checkCommand,
  queueCommand,
];

const DEFAULT_COMMAND = COMMANDS[0]!;

const USAGE = `Usage: moderation-worker <command> [options]
       moderation-worker --version

Commands:
${describeCommands(COMMANDS)}
Run "moderation-worker <command> --help" for a command's options.
`;

/** One line per command: its name and synopsis, then its summary in a column wide enough for all. */
function describeCommands(commands: readonly Command[]): string {
  const heads = commands.map((command) => {
    const marker = command === DEFAULT_COMMAND ? ' (default)' : '';
    return `  ${`${command.name} ${command.synopsis}`.trim()}${marker}`;
  });
  const width = Math.max(...heads.map((head) => head.length)) + 2;
  return commands.map((command, i) => heads[i]!.padEnd(width) + command.summary).join('\n');
}

/** Runs the CLI with `argv` (after the node and script paths); resolves to the exit code. */
async function main(argv: string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`${WORKER_VERSION}\n`);
    return EXIT.ok;
  }
  const name = first ?? DEFAULT_COMMAND.name;
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command)
    return usageError(commandOutput(io, null, secretValues(env)), `unknown command "${name}"`, USAGE);
  return command.run(rest, env, io);
}

main(process.argv.slice(2), process.env, processIo).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Commands report their own failures; this is the last resort, redacted like them.
    const output = commandOutput(processIo, null, secretValues(process.env));
    process.exit(failure(output, error instanceof Error ? error.message : String(error)));
  },
);
