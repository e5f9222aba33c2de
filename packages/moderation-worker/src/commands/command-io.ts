// The kit every subcommand of the `moderation-worker` bin is built with: its shape, its streams,
// its exit codes, its error lines and its reading of the environment, so that all of them behave alike.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigError } from '@geoduels/risk-client';
import { WorkerConfigError } from '../errors.js';
import { redactSecrets, secretValues } from './secret-redaction.js';

/** Where a command writes; the process streams by default, buffers in tests. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** What a command's body writes to: streams that redact the configured secrets, and who is writing. */
export interface CommandOutput extends CommandIo {
  /** The subcommand named in error lines (`moderation-worker <command>: ...`); null for the bin itself. */
  readonly command: string | null;
}

/** Exit codes of every command: 0 done, 1 failed (a dependency or a check), 2 usage or configuration error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** The process streams. */
export const processIo: CommandIo = { stdout: process.stdout, stderr: process.stderr };

/** One subcommand of the bin, as `cli.ts` dispatches and lists it. */
export interface Command {
  /** The word that selects it: `moderation-worker <name>`. */
  readonly name: string;
  /** Its arguments in brief, for the bin's usage (`up|down [n]|status|force`). */
  readonly synopsis: string;
  /** What it does, in a few words, for the bin's usage. */
  readonly summary: string;
  /** Its `--help` text, printed for `--help` or `-h` anywhere in its arguments. */
  readonly usage: string;
  /**
   * Runs it with the arguments that follow its name and resolves to the exit code; never calls
   * process.exit, so the bin and tests share it. Secrets in the environment never reach `io`.
   */
  run(argv: string[], env: NodeJS.ProcessEnv, io?: CommandIo): Promise<number>;
}

/** A command's definition: its body receives the redacting output. */
export interface CommandSpec extends Omit<Command, 'run'> {
  run(argv: string[], env: NodeJS.ProcessEnv, io: CommandOutput): Promise<number>;
}

/**
 * Makes a command from its definition. Help is answered here, the same for every command; redaction
 * happens here, once, where output leaves the command; an error the body did not expect ends it
 * with a failure line instead of a stack trace.
 */
export function defineCommand(spec: CommandSpec): Command {
  return {
    ...spec,
    run: async (argv, env, io = processIo) => {
      const output = commandOutput(io, spec.name, secretValues(env));
      if (argv.includes('--help') || argv.includes('-h')) {
        output.stdout.write(spec.usage);
        return EXIT.ok;
      }
      try {
        return await spec.run(argv, env, output);
      } catch (error) {
        return failure(output, error instanceof Error ? error.message : String(error));
      }
    },
  };
}

/** `io` with every write passed through secret redaction, labelled with the command. */
export function commandOutput(
  io: CommandIo,
  command: string | null,
  secrets: readonly string[],
): CommandOutput {
  const redacting = (stream: CommandIo['stdout']) => ({
    write: (text: string) => stream.write(redactSecrets(text, secrets)),
  });
  return { stdout: redacting(io.stdout), stderr: redacting(io.stderr), command };
}

/** Reports a usage or configuration problem (with the usage text, when given); returns EXIT.usage. */
export function usageError(io: CommandOutput, message: string, usage?: string): number {
  io.stderr.write(`${errorLine(io, message)}${usage === undefined ? '' : `\n${usage}`}`);
  return EXIT.usage;
}

/** Reports why the command could not do its work; returns EXIT.failure. */
export function failure(io: CommandOutput, message: string): number {
  io.stderr.write(errorLine(io, message));
  return EXIT.failure;
}

/** Tells the operator something worth knowing that does not stop the command, on stderr. */
export function warning(io: CommandOutput, message: string): void {
  io.stderr.write(errorLine(io, `warning: ${message}`));
}

/**
 * Reads configuration with one of config.ts's readers; a bad variable becomes a usage error that
 * names it, returned as the exit code. Anything else is not a configuration problem and is rethrown.
 */
export function readConfig<T extends object | string>(io: CommandOutput, read: () => T): T | number {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof WorkerConfigError || error instanceof ConfigError)) throw error;
    return usageError(io, `invalid configuration: ${error.message}`);
  }
}

/** `parseArgs` of node:util; what it rejects (an unknown option, a missing value) is an Error value. */
export function parseCommandArgs<T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof parseArgs<T>> | Error {
  try {
    return parseArgs(config);
  } catch (error) {
    return error as Error;
  }
}

function errorLine(io: CommandOutput, message: string): string {
  return `moderation-worker${io.command === null ? '' : ` ${io.command}`}: ${message}\n`;
}
