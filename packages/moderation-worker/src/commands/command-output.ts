/** Where an operator command writes; defaults to the process streams. */
export interface CommandOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** The process's own streams. */
export const PROCESS_OUTPUT: CommandOutput = { stdout: process.stdout, stderr: process.stderr };

/** Exit codes shared by the operator commands. */
export const OPS_EXIT = { ok: 0, failure: 1, usage: 2 } as const;
