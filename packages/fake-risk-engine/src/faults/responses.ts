import type { ServerResponse } from 'node:http';
import { FACTS_VERSION } from '@geoduels/risk-client/signals';
import { DETECTOR_VERSION } from '../detectors/index.js';
import { sendError, sendJson } from '../respond.js';
import type { FaultBehaviour } from './faults.js';
import { hostileBody } from './hostile-bodies.js';
import { poisonBody } from './poison-bodies.js';

/** The response-size limit of the contract; the oversized fault exceeds it. */
export const MAX_BODY_BYTES = 1024 * 1024;

// Schema-valid (unknown fields are allowed), so only a size limit can reject it.
let oversized: Buffer | undefined;
function oversizedBody(): Buffer {
  oversized ??= Buffer.from(
    `{"detectorVersion":"${DETECTOR_VERSION}","factsVersion":"${FACTS_VERSION}","signals":[],"padding":"` +
      'x'.repeat(MAX_BODY_BYTES + 1024) +
      '"}',
  );
  return oversized;
}

const PLACEHOLDER_SUBJECT = '00000000-0000-4000-8000-000000000001';

function retryAfterHeader(value: number | Date | string | undefined): string {
  if (value === undefined) return '1';
  if (value instanceof Date) return value.toUTCString();
  return String(value);
}

function writeChunked(res: ServerResponse, body: Buffer): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = 64 * 1024;
  for (let i = 0; i < body.length; i += chunk) res.write(body.subarray(i, i + chunk));
  res.end();
}

/**
 * Answers (or deliberately fails to answer) with a terminal fault. `subject` is a player of the
 * request when one is known, so hostile signals are not merely dropped for their subject.
 */
export function writeFault(fault: FaultBehaviour, res: ServerResponse, subject?: string): void {
  switch (fault.kind) {
    case 'hang':
    case 'latency':
    case 'down':
      return;
    case 'status':
      sendError(res, fault.code, 'injected_fault', `injected status ${fault.code}`);
      return;
    case 'rate_limit':
      sendError(
        res,
        429,
        'rate_limited',
        'injected rate limit',
        {},
        { 'retry-after': retryAfterHeader(fault.retryAfter) },
      );
      return;
    case 'unauthorized':
      sendError(res, 401, 'unauthorized', 'injected unauthorized', {}, { 'www-authenticate': 'Bearer' });
      return;
    case 'malformed_json': {
      const text = `{"detectorVersion":"${DETECTOR_VERSION}","factsVersion":"${FACTS_VERSION}","signals":[{"subj`;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    case 'schema_invalid':
      sendJson(res, 200, { detectorVersion: 42, factsVersion: null, signals: 'none' });
      return;
    case 'oversized': {
      const body = oversizedBody();
      if (fault.contentLength === false) {
        writeChunked(res, body);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
      return;
    }
    case 'reset': {
      const body = Buffer.from(
        JSON.stringify({ detectorVersion: DETECTOR_VERSION, factsVersion: FACTS_VERSION, signals: [] }),
      );
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.resetAndDestroy());
      return;
    }
    case 'hostile':
    case 'poison': {
      const player = subject ?? PLACEHOLDER_SUBJECT;
      const body =
        fault.kind === 'hostile' ? hostileBody(fault.variant, player) : poisonBody(fault.variant, player);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
  }
}
