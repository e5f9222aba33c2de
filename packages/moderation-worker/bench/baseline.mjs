// The baseline: the same work as the worker's analysis job, done the production pattern's way on the
// production schema. One query for the season setting, one for the match's players, two per player
// (recent events, season rating), the same risk client, then one transaction per signal (production's
// upsert on its detector dedupe index, and its outbox row: storeProductionSignal of
// @geoduels/test-support, the statements the compatibility tests play production with) and a
// separate run-row write.
// Driven exactly like the worker (same queue, prefix, concurrency, engine, pool size); only the
// data access differs. Run by worker-bench.mjs as its own process; prints `ready` when it pulls jobs.
import { createRiskClient, FACTS_VERSION, needsReview, riskEngineConfigFromEnv } from '@geoduels/risk-client';
import { storeProductionSignal } from '@geoduels/test-support';
import { Worker } from 'bullmq';
import pg from 'pg';

const env = process.env;
const concurrency = Number(env.MODERATION_WORKER_CONCURRENCY ?? 128);
const pool = new pg.Pool({ connectionString: env.POSTGRES_URL, max: Number(env.POSTGRES_MAX_CONNS ?? 10) });
const client = createRiskClient(riskEngineConfigFromEnv(env));
const redisUrl = new URL(env.REDIS_URL ?? 'redis://127.0.0.1:6379');

// Production's facts read: the season setting, the match's players, then per player their newest
// 50 events and their duel rating and games in that season.
const SEASON_SQL = `SELECT value_json FROM site_settings WHERE key = 'ranked_season'`;
const PLAYERS_SQL = 'SELECT DISTINCT user_id FROM ranked_guess_events WHERE match_id = $1 ORDER BY user_id';
const EVENTS_SQL = `
SELECT match_id, round_number, score, guess_ms, evidence, occurred_at FROM ranked_guess_events
WHERE user_id = $1 ORDER BY occurred_at DESC, round_number DESC LIMIT 50`;
const RATING_SQL = `
SELECT (SELECT mmr FROM ranks WHERE user_id = $1 AND mode = 'duel' AND season_id = $2) AS mmr,
       (SELECT games_played FROM ranked_stats WHERE user_id = $1 AND mode = 'duel' AND season_id = $2) AS games_played`;
const RUN_SQL = `
INSERT INTO risk_analysis_runs (match_id, status, attempts, detector_version, signal_count, finished_at)
VALUES ($1, 'analyzed', 1, $2, $3, now())
ON CONFLICT (match_id) DO UPDATE SET status = 'analyzed', attempts = risk_analysis_runs.attempts + 1,
  detector_version = EXCLUDED.detector_version, signal_count = EXCLUDED.signal_count,
  updated_at = now(), finished_at = now()`;

// Production's reading of the setting: the trimmed activeSeasonId when it is a non-blank string, else s2.
function activeSeason(row) {
  const id = row?.value_json?.activeSeasonId;
  return typeof id === 'string' && id.trim() !== '' ? id.trim() : 's2';
}

async function loadRequest(matchId) {
  const season = activeSeason((await pool.query(SEASON_SQL)).rows[0]);
  const players = await pool.query(PLAYERS_SQL, [matchId]);
  const facts = [];
  for (const { user_id: userId } of players.rows) {
    const events = await pool.query(EVENTS_SQL, [userId]);
    const rating = await pool.query(RATING_SQL, [userId, season]);
    const mmr = rating.rows[0]?.mmr ?? 500;
    const games = rating.rows[0]?.games_played ?? 0;
    facts.push({
      userId,
      ...(mmr !== 0 && { currentRating: mmr }),
      ...(games !== 0 && { rankedGames: games }),
      events: events.rows.map((e) => ({
        matchId: e.match_id,
        roundNumber: e.round_number,
        score: e.score,
        guessMs: e.guess_ms,
        evidence: e.evidence,
        occurredAt: e.occurred_at.toISOString(),
      })),
    });
  }
  if (facts.length === 0) return null;
  return { matchId, factsVersion: FACTS_VERSION, generatedAt: new Date().toISOString(), players: facts };
}

async function processJob(job) {
  const { matchId } = job.data;
  const request = await loadRequest(matchId);
  if (request === null) throw new Error(`baseline: match ${matchId} has no ranked events`);
  const result = await client.analyze(request);
  if (result.status !== 'ok')
    throw new Error(`baseline: engine answered ${result.status} (${result.reason ?? ''})`);
  for (const signal of result.signals) {
    await storeProductionSignal(pool, { ...signal, matchId }, { notify: needsReview });
  }
  await pool.query(RUN_SQL, [matchId, result.detectorVersion, result.signals.length]);
}

const worker = new Worker(env.MODERATION_QUEUE_NAME ?? 'moderation.risk-analysis', processJob, {
  prefix: env.MODERATION_QUEUE_PREFIX ?? '{moderation}',
  concurrency,
  // The worker's limiter (its manual breaker pause needs one), so queue overhead is the same.
  limiter: { max: 1_000_000, duration: 1_000 },
  connection: {
    host: redisUrl.hostname,
    port: Number(redisUrl.port || 6379),
    maxRetriesPerRequest: null,
  },
});
worker.on('error', (error) => console.error(`baseline worker error: ${error.message}`));
await worker.waitUntilReady();
console.log('ready');

process.once('SIGTERM', async () => {
  await worker.close();
  await client.close();
  await pool.end();
  process.exit(0);
});
