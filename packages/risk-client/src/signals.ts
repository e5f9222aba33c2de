// The types-only face of the client: what the game API imports. It must never import undici,
// opossum, or anything else with I/O (a test loads it in a fresh process to prove it).
import { z } from 'zod';

export * from './schema.js';

/** Signal severities, lowest first. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Evidence strengths, weakest first. */
export const EVIDENCE_STRENGTHS = ['weak', 'limited', 'substantial', 'strong'] as const;
export type EvidenceStrength = (typeof EVIDENCE_STRENGTHS)[number];

/** Where a stored moderation signal came from. */
export const SIGNAL_SOURCES = ['player_report', 'risk_engine', 'moderator', 'system'] as const;
export type SignalSource = (typeof SIGNAL_SOURCES)[number];

export const severitySchema = z.enum(SEVERITIES);
export const evidenceStrengthSchema = z.enum(EVIDENCE_STRENGTHS);
export const signalSourceSchema = z.enum(SIGNAL_SOURCES);

/** A signal from the engine after the public-side normalisation (normalize.ts), ready to store. */
export const riskSignalSchema = z.object({
  subjectUserId: z.guid(),
  signalType: z.string().min(1),
  detectorKey: z.string().min(1).nullable(),
  detectorVersion: z.string().min(1).nullable(),
  severity: severitySchema,
  evidenceStrength: evidenceStrengthSchema,
  reasonCode: z.string().min(1),
  recommendedQueue: z.boolean(),
  score: z.number().finite(),
  payload: z.record(z.string(), z.unknown()).nullable(),
  occurredAt: z.string(),
});
export type RiskSignal = z.infer<typeof riskSignalSchema>;

/** The stored, opaque moderation signal (row of `moderation_signals`) as the game API sees it. */
export const moderationSignalSchema = riskSignalSchema.extend({
  id: z.string(),
  source: signalSourceSchema,
  matchId: z.guid().nullable(),
  reporterUserId: z.guid().nullable(),
  createdAt: z.string(),
});
export type ModerationSignal = z.infer<typeof moderationSignalSchema>;

/** Rank of a severity, 0 (low) to 3 (critical). */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Rank of an evidence strength, 0 (weak) to 3 (strong). */
export function evidenceStrengthRank(strength: EvidenceStrength): number {
  return EVIDENCE_STRENGTHS.indexOf(strength);
}

/** The higher of two severities. */
export function greatestSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

/** The stronger of two evidence strengths. */
export function greatestEvidenceStrength(a: EvidenceStrength, b: EvidenceStrength): EvidenceStrength {
  return evidenceStrengthRank(a) >= evidenceStrengthRank(b) ? a : b;
}

/** True when a signal should reach a moderator's review queue (high/critical or recommended). */
export function needsReview(signal: Pick<RiskSignal, 'severity' | 'recommendedQueue'>): boolean {
  return signal.recommendedQueue || severityRank(signal.severity) >= severityRank('high');
}
