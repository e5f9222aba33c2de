import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthFailure } from './auth.js';
import type { EngineContext } from './context.js';
import { DETECTOR_VERSION, runDetectors } from './detectors/index.js';
import { MAX_BODY_BYTES, writeFault } from './faults/responses.js';
import { readBody } from './request-body.js';
import { sendError, sendJson } from './respond.js';
import { validateAnalyzeRequest } from './validation.js';

function firstPlayer(body: unknown): string | undefined {
  const players = (body as { players?: Array<{ userId?: unknown }> } | null)?.players;
  const id = Array.isArray(players) ? players[0]?.userId : undefined;
  return typeof id === 'string' ? id : undefined;
}

const AUTH_DETAIL: Record<AuthFailure, string> = {
  missing_token: 'Authorization: Bearer <token> is required',
  invalid_token: 'the bearer token is not valid',
};

/** Sends a 401 naming why the request was refused. */
export function sendUnauthorized(res: ServerResponse, reason: AuthFailure): void {
  sendError(res, 401, 'unauthorized', AUTH_DETAIL[reason], { reason }, { 'www-authenticate': 'Bearer' });
}

/** Sends a 413 and closes the connection (the rest of the body is not read). */
export function sendTooLarge(res: ServerResponse): void {
  sendError(
    res,
    413,
    'payload_too_large',
    `body exceeds ${MAX_BODY_BYTES} bytes`,
    {},
    { connection: 'close' },
  );
}

/**
 * `POST /v1/analyze`. Order: read (<= 1 MiB) and record, then injected faults (they model the
 * engine's own failures, so they act before auth and validation), auth, media type, JSON, schema.
 */
export async function handleAnalyze(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  ctx: EngineContext,
): Promise<void> {
  const receivedAt = new Date();
  const read = await readBody(req, MAX_BODY_BYTES);
  let body: unknown;
  let json = false;
  if (read.ok) {
    try {
      body = JSON.parse(read.bytes.toString('utf8'));
      json = true;
    } catch {
      // Recorded as undefined; answered below once faults and auth had their say.
    }
  }
  ctx.recorder.add(req.method ?? 'POST', path, req.headers, body, receivedAt);
  if (!read.ok) {
    if (read.reason === 'too_large') sendTooLarge(res);
    return;
  }

  for (const fault of ctx.faults.take('analyze')) {
    if (fault.kind === 'latency') {
      await ctx.sleep(fault.ms);
      continue;
    }
    return writeFault(fault, res, firstPlayer(body));
  }

  const denied = ctx.checkAuth?.(req.headers.authorization);
  if (denied) return sendUnauthorized(res, denied);
  const type = req.headers['content-type'];
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) {
    return sendError(res, 415, 'unsupported_media_type', 'content-type must be application/json');
  }
  if (!json) return sendError(res, 400, 'invalid_json', 'body is not valid JSON', { field: '$' });
  const checked = validateAnalyzeRequest(body);
  if (!checked.ok) {
    const message = `invalid ${checked.field}: ${checked.detail}`;
    return sendError(res, 400, 'invalid_request', message, { field: checked.field, detail: checked.detail });
  }
  const requestId = req.headers['x-request-id'];
  sendJson(
    res,
    200,
    {
      detectorVersion: DETECTOR_VERSION,
      factsVersion: checked.request.factsVersion,
      signals: runDetectors(ctx.detectors, checked.request),
    },
    typeof requestId === 'string' ? { 'x-request-id': requestId } : undefined,
  );
}
