import type { HttpOutcome } from './http.js';
import { normalizeSignals } from './normalize.js';
import { type AnalyzeResult, unavailable } from './result.js';
import { parseRetryAfter } from './retry-after.js';
import { analyzeResponseSchema } from './schema.js';

/** What the client needs besides the outcome to give it meaning. */
export interface InterpretContext {
  readonly playerIds: ReadonlySet<string>;
  /** Client clock, epoch milliseconds. */
  readonly nowMs: number;
  readonly latencyMs: number;
  /** Scrubs secrets out of text that came from the engine. */
  readonly redact: (text: string) => string;
}

/** A result plus whether it counts as an engine failure for the breaker. */
export interface Interpretation {
  readonly result: AnalyzeResult;
  readonly countsAsFailure: boolean;
}

/** Longest `detail` kept from a 400/422 body. */
export const MAX_DETAIL_CHARS = 500;
/** Bytes read from a 400/422 body to find its detail. */
export const DETAIL_READ_BYTES = 16 * 1024;

/** How many body bytes `analyze` reads for a status: all of a 200, a little of a 400/422, none otherwise. */
export function analyzeReadLimit(status: number, maxBodyBytes: number): number {
  if (status === 200) return maxBodyBytes;
  if (status === 400 || status === 422) return DETAIL_READ_BYTES;
  return 0;
}

/**
 * Gives an analyze exchange its meaning. Pure. Timeouts, network errors, 5xx, 401/403, unexpected
 * statuses and invalid bodies count as failures; 400/422 and 429 never do.
 */
export function interpretAnalyze(
  outcome: Exclude<HttpOutcome, { kind: 'aborted' }>,
  context: InterpretContext,
): Interpretation {
  switch (outcome.kind) {
    case 'timeout':
      return failure(unavailable('timeout'));
    case 'network':
      return failure(unavailable('network'));
    case 'too_large':
      if (outcome.status === 400 || outcome.status === 422) {
        return success({
          status: 'rejected',
          httpStatus: outcome.status,
          detail: '(error body too large to show)',
        });
      }
      return failure(unavailable('invalid_response'));
    case 'response':
      break;
  }
  const { status, headers, body } = outcome;
  if (status === 200) return interpretOk(body, context);
  if (status === 400 || status === 422) {
    return success({ status: 'rejected', httpStatus: status, detail: context.redact(detailOf(body)) });
  }
  const retryAfterMs = parseRetryAfter(headers['retry-after'], context.nowMs);
  if (status === 429) return success(unavailable('rate_limited', retryAfterMs));
  if (status === 401 || status === 403) return failure(unavailable('unauthorized'));
  if (status >= 500 && status <= 599) return failure(unavailable('http_5xx', retryAfterMs));
  // 3xx, 404 and friends: the URL or the engine is wrong; retrying soon will not help either.
  return failure(unavailable('invalid_response'));
}

function interpretOk(body: Buffer | null, context: InterpretContext): Interpretation {
  let json: unknown;
  try {
    // Redacted before parsing: an engine that echoes the token must not get it stored in a payload.
    json = JSON.parse(context.redact(body === null ? '' : body.toString('utf8')));
  } catch {
    return failure(unavailable('invalid_response'));
  }
  const parsed = analyzeResponseSchema.safeParse(json);
  if (!parsed.success) return failure(unavailable('invalid_response'));
  const { detectorVersion, factsVersion, signals: raw } = parsed.data;
  const { signals, dropped, droppedPayloads } = normalizeSignals(raw, {
    playerIds: context.playerIds,
    now: new Date(context.nowMs),
  });
  return success({
    status: 'ok',
    detectorVersion,
    factsVersion,
    signals,
    droppedSignals: dropped,
    droppedPayloads,
    latencyMs: context.latencyMs,
  });
}

// Prefers a JSON `error`, `detail` or `message` string; falls back to the text itself.
function detailOf(body: Buffer | null): string {
  const text = body === null ? '' : body.toString('utf8').trim();
  let detail = text;
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json === 'object' && json !== null) {
      const record = json as Record<string, unknown>;
      const found = [record['error'], record['detail'], record['message']].find((v) => typeof v === 'string');
      if (typeof found === 'string') detail = found;
    }
  } catch {
    // Not JSON: the text is the detail.
  }
  if (detail === '') return '(no detail given)';
  return detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS)}…` : detail;
}

const success = (result: AnalyzeResult): Interpretation => ({ result, countsAsFailure: false });
const failure = (result: AnalyzeResult): Interpretation => ({ result, countsAsFailure: true });
