import { z } from 'zod';

/** The facts layout this client sends; the engine echoes what it understood. */
export const FACTS_VERSION = 'match-facts/2026-01';

// Postgres accepts any hex uuid, including the nil-ish ids used in fixtures, so the contract
// checks shape (8-4-4-4-12 hex) rather than RFC 9562 version bits.
const uuid = z.guid();
const int = z.number().int();
const time = z.iso.datetime({ offset: true });

/** Players one analyze request carries at most (contract v1): the engine refuses more. */
export const MAX_REQUEST_PLAYERS = 64;
/** Events of one player an analyze request carries at most (contract v1: the newest 50). */
export const MAX_PLAYER_EVENTS = 50;
/** Signals one analyze answer carries at most (contract v1): a longer list is an invalid response. */
export const MAX_ANSWER_SIGNALS = 1000;

/** One ranked guess event of a player, as sent to the engine. */
export const guessEventSchema = z.object({
  matchId: uuid,
  roundNumber: int.nonnegative(),
  score: int,
  guessMs: int.nonnegative(),
  evidence: z.number().finite(),
  occurredAt: time,
});
export type GuessEvent = z.infer<typeof guessEventSchema>;

/** One player of the analysed match with their recent ranked history (newest first, at most 50). */
export const playerFactsSchema = z.object({
  userId: uuid,
  currentRating: int.optional(),
  rankedGames: int.nonnegative().optional(),
  events: z.array(guessEventSchema).max(MAX_PLAYER_EVENTS),
});
export type PlayerFacts = z.infer<typeof playerFactsSchema>;

/** `POST /v1/analyze` request body, contract v1. */
export const analyzeRequestSchema = z.object({
  requestId: z.string().min(1).max(200).optional(),
  matchId: uuid,
  factsVersion: z.literal(FACTS_VERSION),
  generatedAt: time,
  players: z.array(playerFactsSchema).min(1).max(MAX_REQUEST_PLAYERS),
});
export type AnalyzeRequest = z.infer<typeof analyzeRequestSchema>;

// Checked but not copied: zod's record copy silently drops a `__proto__` key, losing data. The
// normaliser makes the bounded, prototype-free copy (payload.ts).
const jsonObject = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'expected a JSON object',
);

/**
 * One signal as the engine sends it, before normalisation. Strings are loose on purpose (the
 * normaliser owns their meaning); types are strict, so a wrong type is an invalid response.
 */
export const rawSignalSchema = z.object({
  subjectUserId: z.string().nullish(),
  signalType: z.string().nullish(),
  detectorKey: z.string().nullish(),
  detectorVersion: z.string().nullish(),
  severity: z.string().nullish(),
  evidenceStrength: z.string().nullish(),
  reasonCode: z.string().nullish(),
  recommendedQueue: z.boolean().nullish(),
  score: z.number().finite().nullish(),
  payload: jsonObject.nullish(),
  occurredAt: z.string().nullish(),
});
export type RawSignal = z.infer<typeof rawSignalSchema>;

/** `200` response body of `POST /v1/analyze`, contract v1; unknown extra fields are ignored. */
export const analyzeResponseSchema = z.object({
  detectorVersion: z.string(),
  factsVersion: z.string(),
  signals: z.array(rawSignalSchema).max(MAX_ANSWER_SIGNALS),
});
export type AnalyzeResponse = z.infer<typeof analyzeResponseSchema>;
