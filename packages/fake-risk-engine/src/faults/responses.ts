import type { ServerResponse } from 'node:http';
import { FACTS_VERSION, MAX_ANSWER_SIGNALS } from '@geoduels/risk-client/signals';
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

// Built once for a placeholder subject of a uuid's length; a request's subject of the same length
// replaces it, so the size stays exact and an engine under load is not slowed by building 1 MiB.
let maxBodyTemplate: string | undefined;

/** maxBodyFor(subject), from the cached template when the subject has a uuid's length. */
function maxBody(subject: string): Buffer {
  if (subject.length !== PLACEHOLDER_SUBJECT.length || subject.includes('"') || subject.includes('\\'))
    return maxBodyFor(subject);
  maxBodyTemplate ??= maxBodyFor(PLACEHOLDER_SUBJECT).toString();
  return Buffer.from(maxBodyTemplate.replaceAll(PLACEHOLDER_SUBJECT, subject));
}

/**
 * A schema-valid answer of exactly MAX_BODY_BYTES: MAX_ANSWER_SIGNALS distinct signals (each its own reason
 * code, so none collapses into another) about `subject`, the padding spread over their payloads.
 */
function maxBodyFor(subject: string): Buffer {
  const signal = (i: number, pad: string) => ({
    subjectUserId: subject,
    signalType: 'gameplay_integrity',
    detectorKey: 'max_body',
    detectorVersion: DETECTOR_VERSION,
    severity: 'low',
    evidenceStrength: 'weak',
    reasonCode: `max_body_${String(i).padStart(4, '0')}`,
    recommendedQueue: false,
    score: 0.01,
    payload: { pad },
    occurredAt: '2026-01-01T00:00:00Z',
  });
  const body = (pads: (i: number) => string) =>
    JSON.stringify({
      detectorVersion: DETECTOR_VERSION,
      factsVersion: FACTS_VERSION,
      signals: Array.from({ length: MAX_ANSWER_SIGNALS }, (_, i) => signal(i, pads(i))),
    });
  const spare = MAX_BODY_BYTES - Buffer.byteLength(body(() => ''));
  const each = Math.floor(spare / MAX_ANSWER_SIGNALS);
  const rest = spare - each * MAX_ANSWER_SIGNALS;
  return Buffer.from(body((i) => 'x'.repeat(each + (i < rest ? 1 : 0))));
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
    case 'max_body': {
      const body = maxBody(subject ?? PLACEHOLDER_SUBJECT);
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
