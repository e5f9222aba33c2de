/** Where a command writes; the process streams by default, buffers in tests. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Exit codes shared by the subcommands. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** The process streams. */
export const processIo: CommandIo = { stdout: process.stdout, stderr: process.stderr };

/** Reports a usage or configuration problem and returns the usage exit code. */
export function usageError(io: CommandIo, message: string, usage?: string): number {
  io.stderr.write(`moderation-worker: ${message}\n${usage === undefined ? '' : `\n${usage}`}`);
  return EXIT.usage;
}

/** The message of a configuration error thrown by a *FromEnv reader, or null for anything else. */
export function configErrorMessage(error: unknown): string | null {
  return typeof (error as { variable?: unknown })?.variable === 'string' ? (error as Error).message : null;
}
