// Test-only: captures what a command writes, through the `io` parameter every command's run accepts.

/** A writable pair for a command's `io` argument, and what it received. */
export function captureOutput() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    output: {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
    },
  };
}
