import type { HttpOutcome } from './http.js';
import { normalizeAnswer } from './normalize.js';
import { type AnalyzeResult, unavailable } from './result.js';
import { parseRetryAfter } from './retry-after.js';
import { analyzeResponseSchema } from './schema.js';
import type { Redact } from './secret-redactor.js';

/** What the client needs besides the outcome to give it meaning. */
export interface InterpretContext {
  readonly playerIds: ReadonlySet<string>;
  /** Client clock, epoch milliseconds. */
  readonly nowMs: number;
  readonly latencyMs: number;
  /** Scrubs the token out of a 400/422 detail (before it is cut). Null: no token. */
  readonly redactDetail: Redact | null;
  /** Scrubs the token out of the parsed strings of a 200 answer. Null: nothing to scrub. */
  readonly redactAnswer: Redact | null;
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
    // Redact, then cut: a cut first could split the token and leave a fragment the scrub misses.
    const detail = detailOf(body);
    const scrubbed = context.redactDetail === null ? detail : context.redactDetail(detail);
    return success({ status: 'rejected', httpStatus: status, detail: cut(scrubbed) });
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
    // The raw body is never searched for the token: a short token would match ordinary JSON text
    // (and corrupt it). The normaliser scrubs the parsed strings instead.
    json = JSON.parse(body === null ? '' : body.toString('utf8'));
  } catch {
    return failure(unavailable('invalid_response'));
  }
  const parsed = analyzeResponseSchema.safeParse(json);
  if (!parsed.success) return failure(unavailable('invalid_response'));
  const answer = normalizeAnswer(parsed.data, {
    playerIds: context.playerIds,
    now: new Date(context.nowMs),
    redact: context.redactAnswer,
  });
  return success({
    status: 'ok',
    detectorVersion: answer.detectorVersion,
    factsVersion: answer.factsVersion,
    signals: answer.signals,
    droppedSignals: answer.dropped,
    droppedPayloads: answer.droppedPayloads,
    normalization: answer.counts,
    latencyMs: context.latencyMs,
  });
}

// Prefers a JSON `error`, `detail` or `message` string; falls back to the text itself. Not cut yet.
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
  return detail === '' ? '(no detail given)' : detail;
}

// The detail is stored (the run row's failure), so it is made storable as text too: lone surrogates
// and NUL become U+FFFD, and the cut never leaves half a surrogate pair.
function cut(detail: string): string {
  const text = detail.toWellFormed().replaceAll('\u0000', '\uFFFD');
  if (text.length <= MAX_DETAIL_CHARS) return text;
  return `${text.slice(0, MAX_DETAIL_CHARS).toWellFormed()}…`;
}

const success = (result: AnalyzeResult): Interpretation => ({ result, countsAsFailure: false });
const failure = (result: AnalyzeResult): Interpretation => ({ result, countsAsFailure: true });
