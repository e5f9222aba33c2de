import { type AnalyzeRequest, FACTS_VERSION, type PlayerFacts } from '@geoduels/risk-client/signals';
import { type Database, statement } from '../db/pool.js';
import { LOAD_FACTS_SQL } from './facts-sql.js';

/** What the facts read found: a request to send, or why there is nothing to analyse. */
export type MatchFacts =
  | { kind: 'facts'; request: AnalyzeRequest }
  | { kind: 'unknown_match' }
  | { kind: 'no_ranked_events' };

type GuessEvent = PlayerFacts['events'][number];

/** A player's events as LOAD_FACTS_SQL sends them: parallel arrays. */
export type EventColumns = [
  GuessEvent['matchId'][],
  GuessEvent['roundNumber'][],
  GuessEvent['score'][],
  GuessEvent['guessMs'][],
  GuessEvent['evidence'][],
  GuessEvent['occurredAt'][],
];

interface PlayerRow {
  userId: string;
  rating: number;
  games: number;
  events: EventColumns;
}

/** Loads everything the engine needs about a match in one round trip. */
export async function loadMatchFacts(db: Database, matchId: string, now: Date): Promise<MatchFacts> {
  const [facts] = await loadMatchesFacts(db, [matchId], now);
  return facts!;
}

/** Loads the facts of several matches in one round trip; one result per id, in the ids' order. */
export async function loadMatchesFacts(
  db: Database,
  matchIds: readonly string[],
  now: Date,
): Promise<MatchFacts[]> {
  const result = await db.pool.query<{ match_id: string; match_exists: boolean; players: PlayerRow[] }>(
    statement(db, 'moderation_load_facts', LOAD_FACTS_SQL, [matchIds]),
  );
  const rows = new Map(result.rows.map((row) => [row.match_id, row]));
  const generatedAt = now.toISOString();
  return matchIds.map((matchId) => {
    // uuid comes back lower-case; job ids are validated GUIDs in any case.
    const row = rows.get(matchId.toLowerCase());
    if (!row?.match_exists) return { kind: 'unknown_match' };
    if (row.players.length === 0) return { kind: 'no_ranked_events' };
    return {
      kind: 'facts',
      request: { matchId, factsVersion: FACTS_VERSION, generatedAt, players: row.players.map(toPlayerFacts) },
    };
  });
}

function toPlayerFacts(row: PlayerRow): PlayerFacts {
  // Contract v1: zero rating and zero games are omitted, not sent as 0.
  return {
    userId: row.userId,
    ...(row.rating !== 0 && { currentRating: row.rating }),
    ...(row.games !== 0 && { rankedGames: row.games }),
    events: eventsFromColumns(row.events),
  };
}

/** A player's events from LOAD_FACTS_SQL's parallel arrays, newest first (sorted here if they came otherwise). */
export function eventsFromColumns([
  matchIds,
  rounds,
  scores,
  guessMs,
  evidence,
  occurredAt,
]: EventColumns): GuessEvent[] {
  const event = (i: number): GuessEvent => ({
    matchId: matchIds[i]!,
    roundNumber: rounds[i]!,
    score: scores[i]!,
    guessMs: guessMs[i]!,
    evidence: evidence[i]!,
    occurredAt: occurredAt[i]!,
  });
  if (newestFirst(matchIds, rounds, occurredAt)) {
    const events: GuessEvent[] = [];
    for (let i = 0; i < matchIds.length; i += 1) events.push(event(i));
    return events;
  }
  return matchIds
    .map((_, i) => i)
    .sort(newestFirstBy(matchIds, rounds, occurredAt))
    .map(event);
}

// The order LOAD_FACTS_SQL's subquery sorts by (newest first, then higher round), with events of one
// instant and round in two matches put in match-id order here so the request is the same on every
// read. The times are fixed-width UTC text, so they order as strings.
function newestFirstBy(matchIds: string[], rounds: number[], at: string[]) {
  return (a: number, b: number): number =>
    compareText(at[b]!, at[a]!) || rounds[b]! - rounds[a]! || compareText(matchIds[a]!, matchIds[b]!);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function newestFirst(matchIds: string[], rounds: number[], at: string[]): boolean {
  const compare = newestFirstBy(matchIds, rounds, at);
  for (let i = 1; i < at.length; i++) if (compare(i - 1, i) > 0) return false;
  return true;
}
