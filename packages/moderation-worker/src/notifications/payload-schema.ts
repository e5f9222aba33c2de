import { evidenceStrengthSchema, severitySchema } from '@geoduels/risk-client/signals';
import { z } from 'zod';
import type { QueuedSignalPayload } from './outbox-payload.js';

// Fields beyond these are ignored, not refused: a later producer may add some.
const queuedSignalPayloadSchema = z.object({
  signalId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  subjectUserId: z.string().min(1),
  subjectName: z.string(),
  severity: severitySchema,
  evidenceStrength: evidenceStrengthSchema,
  reasonCode: z.string(),
  occurredAt: z.string(),
  moreSignals: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  matchId: z.string().min(1).optional(),
});

/** An outbox payload read back from the database, or the first problem with it. */
export type ParsedPayload = { ok: true; payload: QueuedSignalPayload } | { ok: false; problem: string };

/**
 * Checks a stored outbox payload before it is turned into a message: rows outlive code versions,
 * and a bad row must be recorded, not crash the loop.
 */
export function parseQueuedSignalPayload(json: unknown): ParsedPayload {
  const parsed = queuedSignalPayloadSchema.safeParse(json);
  if (parsed.success) return { ok: true, payload: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, problem: `${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}` };
}
