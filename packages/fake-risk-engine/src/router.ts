import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAnalyze, sendUnauthorized } from './analyze.js';
import type { EngineContext } from './context.js';
import { handleControl } from './control.js';
import { DETECTOR_VERSION } from './detectors/index.js';
import { writeFault } from './faults/responses.js';
import { sendError, sendJson } from './respond.js';

const HEALTH_PATHS = new Set(['/health', '/health/live', '/health/ready']);

function notFound(res: ServerResponse, path: string): void {
  sendError(res, 404, 'not_found', `no route ${path}`);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendError(res, 405, 'method_not_allowed', `allowed: ${allow}`, {}, { allow });
}

async function handleHealth(req: IncomingMessage, res: ServerResponse, ctx: EngineContext): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
  for (const fault of ctx.faults.take('health')) {
    if (fault.kind === 'latency') {
      await ctx.sleep(fault.ms);
      continue;
    }
    return writeFault(fault, res);
  }
  sendJson(res, 200, { status: 'ok', detectorVersion: DETECTOR_VERSION });
}

async function route(req: IncomingMessage, res: ServerResponse, ctx: EngineContext): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/v1/analyze' && req.method === 'POST') return handleAnalyze(req, res, path, ctx);
  if (HEALTH_PATHS.has(path)) return handleHealth(req, res, ctx);
  if (path.startsWith('/v1/')) {
    const denied = ctx.checkAuth?.(req.headers.authorization);
    if (denied) return sendUnauthorized(res, denied);
    return path === '/v1/analyze' ? methodNotAllowed(res, 'POST') : notFound(res, path);
  }
  if (ctx.control && path.startsWith('/__control/')) {
    const denied = ctx.checkAuth?.(req.headers.authorization);
    if (denied) return sendUnauthorized(res, denied);
    return handleControl(req, res, path, ctx);
  }
  return notFound(res, path);
}

/** The engine's `request` listener: routes, and reports each answer to `onResponse` when set. */
export function createRequestListener(
  ctx: EngineContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (ctx.onResponse) {
      const started = performance.now();
      const log = ctx.onResponse;
      res.once('finish', () =>
        log({
          method: req.method ?? '',
          path: (req.url ?? '').split('?')[0]!,
          status: res.statusCode,
          durationMs: Math.round(performance.now() - started),
        }),
      );
    }
    route(req, res, ctx).catch(() => {
      // A bug here must not take the process down; answer 500 if nothing was sent yet.
      if (!res.headersSent) sendError(res, 500, 'internal_error', 'fake engine bug');
      else res.destroy();
    });
  };
}
