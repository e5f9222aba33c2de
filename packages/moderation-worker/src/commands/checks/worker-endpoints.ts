import { type CheckResult, describeError, failed, passed } from './check-result.js';

/** The worker's health endpoints, in the order an operator reads them. */
export const WORKER_HEALTH_PATHS = ['/health', '/health/live', '/health/ready'] as const;

const BODY_PREVIEW = 160;

/** GETs each health endpoint of the worker at `baseUrl`; 2xx passes, anything else fails with why. */
export async function checkWorkerEndpoints(baseUrl: URL, timeoutMs: number): Promise<CheckResult[]> {
  return Promise.all(
    WORKER_HEALTH_PATHS.map(async (path): Promise<CheckResult> => {
      const name = `worker ${path}`;
      try {
        const response = await fetch(new URL(path, baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
        const body = (await response.text()).replace(/\s+/g, ' ').trim();
        if (response.ok) return passed(name, `HTTP ${response.status}`);
        const preview = body.length > BODY_PREVIEW ? `${body.slice(0, BODY_PREVIEW)}…` : body;
        return failed(name, `HTTP ${response.status}${preview ? ` ${preview}` : ''}`);
      } catch (error) {
        const reason =
          (error as Error).name === 'TimeoutError'
            ? `no answer within ${timeoutMs} ms`
            : describeError((error as { cause?: unknown }).cause ?? error);
        return failed(name, `${baseUrl.host}: ${reason}`);
      }
    }),
  );
}
