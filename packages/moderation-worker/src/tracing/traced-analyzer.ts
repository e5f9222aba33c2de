// A risk analyzer that puts a client span around every engine call of the one it wraps, carrying
// the call's x-request-id (the engine logs it: the key from a trace to the engine's side) and how
// the call ended.

import type { AnalyzeResult } from '@geoduels/risk-client';
import { type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { RiskAnalyzer } from '../analysis/analyze-match.js';
import { inSpan } from './in-span.js';
import { ATTR, SPAN } from './span-names.js';

/** `analyzer` with a span around each call. */
export function tracedAnalyzer(analyzer: RiskAnalyzer, tracer: Tracer): RiskAnalyzer {
  return {
    analyze: (request, options) => {
      // The client sends the option, else the body's id; with neither it makes one up unseen here.
      const requestId = options?.requestId ?? request.requestId;
      const attributes = {
        [ATTR.matchId]: request.matchId,
        ...(requestId !== undefined && { [ATTR.requestId]: [requestId] }),
      };
      return inSpan(
        tracer,
        SPAN.engine,
        attributes,
        async (span) => {
          const result = await analyzer.analyze(request, options);
          describeResult(span, result);
          return result;
        },
        SpanKind.CLIENT,
      );
    },
  };
}

function describeResult(span: Span, result: AnalyzeResult): void {
  span.setAttribute(ATTR.engineStatus, result.status);
  switch (result.status) {
    case 'ok':
      span.setAttributes({
        [ATTR.detectorVersion]: result.detectorVersion,
        [ATTR.engineSignals]: result.signals.length,
      });
      return;
    case 'disabled':
      return;
    case 'unavailable':
      span.setAttribute(ATTR.engineReason, result.reason);
      span.setStatus({ code: SpanStatusCode.ERROR, message: `engine unavailable: ${result.reason}` });
      return;
    case 'rejected':
      span.setAttribute(ATTR.httpStatus, result.httpStatus);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: `engine rejected the request (${result.httpStatus})`,
      });
      return;
  }
}
