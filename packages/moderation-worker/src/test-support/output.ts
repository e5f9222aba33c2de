// Test-only: captures what a command writes, through the `output` parameter the commands accept.

/** A writable pair for a command's `output` argument, and what it received. */
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
