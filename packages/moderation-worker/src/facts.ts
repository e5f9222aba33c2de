import { type AnalyzeRequest, FACTS_VERSION, type PlayerFacts } from '@geoduels/risk-client/signals';
import { type Database, statement } from './db/pool.js';
import { LOAD_FACTS_SQL } from './facts-sql.js';

/** What the facts read found: a request to send, or why there is nothing to analyse. */
export type MatchFacts =
  | { kind: 'facts'; request: AnalyzeRequest }
  | { kind: 'unknown_match' }
  | { kind: 'no_ranked_events' };

type GuessEvent = PlayerFacts['events'][number];

/** One event as LOAD_FACTS_SQL sends it: a positional array. */
type EventRow = [
  GuessEvent['matchId'],
  GuessEvent['roundNumber'],
  GuessEvent['score'],
  GuessEvent['guessMs'],
  GuessEvent['evidence'],
  GuessEvent['occurredAt'],
];

interface PlayerRow {
  userId: string;
  rating: number;
  games: number;
  events: EventRow[];
}

/** Loads everything the engine needs about a match in one round trip. */
export async function loadMatchFacts(db: Database, matchId: string, now: Date): Promise<MatchFacts> {
  const result = await db.pool.query<{ match_exists: boolean; players: PlayerRow[] }>(
    statement(db, 'moderation_load_facts', LOAD_FACTS_SQL, [matchId]),
  );
  const row = result.rows[0];
  if (!row?.match_exists) return { kind: 'unknown_match' };
  if (row.players.length === 0) return { kind: 'no_ranked_events' };
  return {
    kind: 'facts',
    request: {
      matchId,
      factsVersion: FACTS_VERSION,
      generatedAt: now.toISOString(),
      players: row.players.map(toPlayerFacts),
    },
  };
}

function toPlayerFacts(row: PlayerRow): PlayerFacts {
  // Contract v1: zero rating and zero games are omitted, not sent as 0.
  return {
    userId: row.userId,
    ...(row.rating !== 0 && { currentRating: row.rating }),
    ...(row.games !== 0 && { rankedGames: row.games }),
    events: row.events.map(([matchId, roundNumber, score, guessMs, evidence, occurredAt]) => ({
      matchId,
      roundNumber,
      score,
      guessMs,
      evidence,
      occurredAt,
    })),
  };
}
