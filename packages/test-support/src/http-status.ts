/** The HTTP status of a GET, or `'unreachable'` when no response came (refused, reset, timed out). */
export async function httpStatus(url: string, timeoutMs = 2_000): Promise<number | 'unreachable'> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 'unreachable';
  }
}
