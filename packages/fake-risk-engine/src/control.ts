import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineContext } from './context.js';
import type { FaultSpec } from './faults/faults.js';
import { parseFaultSpec } from './faults/spec-parser.js';
import { readBody } from './request-body.js';
import { sendError, sendJson } from './respond.js';

const CONTROL_BODY_LIMIT = 64 * 1024;
const RECENT_REQUESTS = 100;

async function readFaults(req: IncomingMessage): Promise<FaultSpec[] | { field: string; detail: string }> {
  const read = await readBody(req, CONTROL_BODY_LIMIT);
  if (!read.ok) return { field: '$', detail: `body missing or over ${CONTROL_BODY_LIMIT} bytes` };
  let input: unknown;
  try {
    input = JSON.parse(read.bytes.toString('utf8'));
  } catch {
    return { field: '$', detail: 'body is not valid JSON' };
  }
  const items = Array.isArray(input) ? input : [input];
  const faults: FaultSpec[] = [];
  for (const [i, item] of items.entries()) {
    const parsed = parseFaultSpec(item);
    if (!parsed.ok)
      return { field: Array.isArray(input) ? `[${i}].${parsed.field}` : parsed.field, detail: parsed.detail };
    faults.push(parsed.fault);
  }
  return faults;
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendError(res, 405, 'method_not_allowed', `allowed: ${allow}`, {}, { allow });
}

/**
 * `/__control/*` (only when enabled): `faults` GET lists, POST adds one fault or an array, DELETE
 * clears; `requests` GET returns the count and the last 100 requests, DELETE forgets them;
 * `reset` POST clears both. A `down` fault is applied after its 202 has been sent.
 */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  ctx: EngineContext,
): Promise<void> {
  const method = req.method ?? 'GET';
  switch (path) {
    case '/__control/faults':
      if (method === 'GET') return sendJson(res, 200, { faults: ctx.faults.list() });
      if (method === 'DELETE') {
        ctx.faults.clear();
        return sendJson(res, 200, { faults: [] });
      }
      if (method === 'POST') {
        const faults = await readFaults(req);
        if (!Array.isArray(faults))
          return sendError(res, 400, 'invalid_fault', `invalid ${faults.field}: ${faults.detail}`, faults);
        const later = faults.filter((f) => f.kind === 'down');
        for (const f of faults) if (f.kind !== 'down') ctx.setFault(f);
        res.once('finish', () => {
          for (const f of later) ctx.setFault(f);
        });
        return sendJson(res, later.length > 0 ? 202 : 201, { faults: ctx.faults.list() });
      }
      return methodNotAllowed(res, 'GET, POST, DELETE');
    case '/__control/requests':
      if (method === 'GET') {
        return sendJson(res, 200, {
          count: ctx.recorder.count,
          requests: ctx.recorder.list().slice(-RECENT_REQUESTS),
        });
      }
      if (method === 'DELETE') {
        ctx.recorder.clear();
        return sendJson(res, 200, { count: 0, requests: [] });
      }
      return methodNotAllowed(res, 'GET, DELETE');
    case '/__control/reset':
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      ctx.reset();
      return sendJson(res, 200, { faults: [], count: 0 });
    default:
      return sendError(res, 404, 'not_found', `no route ${path}`);
  }
}
