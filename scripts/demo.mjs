#!/usr/bin/env node
// The end-to-end demo: fake engine + the real worker process + sample matches. Signals are stored,
// the engine goes down (the worker stays ready and defers, and a player report still reaches the
// moderators' webhook at once), comes back, and the deferred matches are analysed. Everything it
// creates (database, Redis keys, processes) is removed, even on failure. The set-up (database,
// processes, the webhook stand-in) comes from @geoduels/test-support, as the tests' does.
import { randomBytes, randomUUID } from 'node:crypto';
import { startFakeRiskEngine } from '@geoduels/fake-risk-engine';
import {
  createProducerConnection,
  enqueueRankedMatchPersisted,
  migrateUp,
  openRankedMatchQueue,
  recordPlayerReport,
} from '@geoduels/moderation-worker';
import {
  createWorkerDatabase,
  messageIncludes,
  openTestPool,
  pollUntil,
  startWebhookReceiver,
  startWorker,
  stopAllProcesses,
  uniquePrefix,
} from '@geoduels/test-support';

const USAGE = `usage: node scripts/demo.mjs   (or: npm run demo, which builds first)

Creates a throwaway database (API schema + migrations) and Redis prefix, seeds sample ranked matches,
starts the fake risk engine, the real moderation-worker process and a local stand-in for the
moderators' webhook, then: 1. analyses the matches, 2. takes the engine down (matches deferred, a
player report still delivered), 3. brings it back (deferred matches analysed), 4. stops the worker
with SIGTERM. Removes everything it created, also on failure.

environment: DEMO_POSTGRES_URL (admin connection, default postgres://postgres@127.0.0.1:5432/test),
             DEMO_REDIS_URL (default redis://127.0.0.1:6379)`;

// biome-ignore lint/suspicious/noUndeclaredEnvVars: the demo runs outside turbo
const ADMIN_URL = process.env.DEMO_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// biome-ignore lint/suspicious/noUndeclaredEnvVars: the demo runs outside turbo
const REDIS_URL = process.env.DEMO_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = randomBytes(16).toString('hex');
const DEADLINE = Date.now() + 50_000;

const say = (text) => console.log(`\n== ${text}`);

const players = {
  ada: randomUUID(),
  bo: randomUUID(),
  speedy: randomUUID(),
  smurf: randomUUID(),
};
const names = Object.fromEntries(Object.entries(players).map(([name, id]) => [id, name]));

async function main(cleanup) {
  const { db, url } = await createDemoDatabase(cleanup);
  const seedMatch = await seedPlayers(db);

  say('sample ranked matches');
  const first = [
    await seedMatch('ada vs bo (a clean duel)', [
      ['ada', 5, false],
      ['bo', 5, false],
    ]),
    await seedMatch('speedy vs ada (too fast, too precise)', [
      ['speedy', 12, true],
      ['ada', 12, false],
    ]),
    await seedMatch('smurf vs bo (rating jump)', [
      ['smurf', 5, false],
      ['bo', 5, false],
    ]),
  ];

  const services = await startServices(db, url, cleanup);
  await analyseMatches(services, first);
  const later = await engineDown(services, seedMatch);
  await engineBack(services, later);
  await sigterm(services);
}

/** A throwaway database with the API schema and the worker's migrations (dropped on clean-up), and a pool on it. */
async function createDemoDatabase(cleanup) {
  let migrated;
  const database = await createWorkerDatabase('demo', {
    adminUrl: ADMIN_URL,
    migrate: async (url) => {
      migrated = await migrateUp(url);
    },
  });
  cleanup.push(async () => {
    await database.drop();
    console.log(`dropped database ${database.name}`);
  });
  say(`database ${database.name}: API schema + migrations`);
  console.log(JSON.stringify(migrated));
  const db = openTestPool(database.url, 2);
  cleanup.push(() => db.end());
  return { db, url: database.url };
}

/**
 * Seeds the season, the four players and their ratings; returns `seedMatch(label, roster)`, which
 * seeds one ranked match (roster rows: player, rounds, suspicious) and prints its id.
 */
async function seedPlayers(db) {
  // The active ranked season, as the API keeps it: a text id in the ranked_season setting.
  const season = 's2026-03';
  await db.query(`INSERT INTO site_settings (key, value_json) VALUES ('ranked_season', $1)`, [
    { activeSeasonId: season, monthlyResetDay: 1, lastResetAt: '2026-03-01T00:00:00Z' },
  ]);
  for (const [name, id] of Object.entries(players))
    await db.query(`INSERT INTO users (id, display_name, account_type) VALUES ($1, $2, 'registered')`, [
      id,
      name,
    ]);
  const ratings = { ada: [900, 40], bo: [950, 55], speedy: [1000, 30], smurf: [1600, 5] };
  for (const [name, [mmr, games]] of Object.entries(ratings)) {
    await db.query(`INSERT INTO ranks (user_id, mode, season_id, mmr) VALUES ($1, 'duel', $2, $3)`, [
      players[name],
      season,
      mmr,
    ]);
    await db.query(
      `INSERT INTO ranked_stats (user_id, mode, season_id, games_played) VALUES ($1, 'duel', $2, $3)`,
      [players[name], season, games],
    );
  }
  let clock = Date.parse('2026-03-01T18:00:00Z');
  // A finalised ranked duel as the API writes it: match_history, one match_players row per player,
  // and their ranked guess events.
  const seedMatch = async (label, roster) => {
    const matchId = randomUUID();
    const startedAt = new Date(clock).toISOString();
    await db.query(
      `INSERT INTO match_history (match_id, mode, ranked, started_at, ended_at) VALUES ($1, 'duel', true, $2, now())`,
      [matchId, startedAt],
    );
    for (const [name] of roster)
      await db.query('INSERT INTO match_players (match_id, user_id, ended_at) VALUES ($1, $2, now())', [
        matchId,
        players[name],
      ]);
    for (const [name, rounds, suspicious] of roster) {
      for (let round = 1; round <= rounds; round += 1) {
        clock += 20_000;
        const score = suspicious ? 4990 : 2500 + ((round * 397) % 2000);
        const guessMs = suspicious ? 1100 + round * 10 : 6000 + ((round * 911) % 9000);
        await db.query(
          `INSERT INTO ranked_guess_events (user_id, match_id, round_number, score, guess_ms, evidence, occurred_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            players[name],
            matchId,
            round,
            score,
            guessMs,
            suspicious ? 0.9 : 0.2,
            new Date(clock).toISOString(),
          ],
        );
      }
    }
    console.log(`  ${label.padEnd(34)} ${matchId}`);
    return matchId;
  };
  return seedMatch;
}

/**
 * The fake engine, the API's producer queue on a fresh prefix, the webhook stand-in and the worker
 * process, each removed on clean-up; resolves once the worker consumes jobs and is ready.
 */
async function startServices(db, databaseUrl, cleanup) {
  say('fake risk engine + worker process');
  const engine = await startFakeRiskEngine({ token: TOKEN });
  cleanup.push(() => engine.stop());
  const prefix = uniquePrefix('demo', 'gd');
  const producer = createProducerConnection(REDIS_URL);
  const queue = openRankedMatchQueue(producer, { prefix });
  cleanup.push(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    producer.disconnect();
  });
  const webhook = await startWebhookReceiver({ kind: 'ok' }, { onReceive: printWebhookMessage });
  cleanup.push(() => webhook.close());
  cleanup.push(stopAllProcesses);
  const worker = await startWorker(
    {
      ...process.env,
      POSTGRES_URL: databaseUrl,
      REDIS_URL,
      MODERATION_QUEUE_PREFIX: prefix,
      RISK_ENGINE_URL: engine.url,
      RISK_ENGINE_TOKEN: TOKEN,
      MODERATION_WEBHOOK_URL: `${webhook.url}/api/webhooks/demo/${randomBytes(8).toString('hex')}`,
      LOG_LEVEL: 'info',
    },
    'worker',
    { onLine: printWorkerLine },
  );
  await worker.logs.waitFor(messageIncludes('consuming jobs'), 'the worker consumes jobs', remainingMs());
  await until('the worker is ready', async () => (await health(worker)).startsWith('200'));
  console.log(`  GET /health/ready -> ${await health(worker)}`);
  return { db, engine, queue, webhook, worker };
}

/** Step 1: the matches are enqueued as the API does, and their signals and runs are stored. */
async function analyseMatches({ db, queue }, first) {
  say('enqueue the matches (as the API does after persisting them)');
  for (const matchId of first)
    console.log(
      `  ${JSON.stringify(await enqueueRankedMatchPersisted(queue, matchId, { prefix: queue.opts.prefix }))}`,
    );
  await untilRuns(db, first, ['analyzed']);
  await printSignals(db, first);
  await printRuns(db, first);
}

/**
 * Step 2: with the engine down, new matches are deferred while the worker stays ready, and a player
 * report reaches the webhook at once. Returns the deferred matches.
 */
async function engineDown({ db, engine, queue, webhook, worker }, seedMatch) {
  say('the engine goes down');
  await engine.down();
  const later = [
    await seedMatch('speedy vs bo (during the outage)', [
      ['speedy', 15, true],
      ['bo', 15, false],
    ]),
    await seedMatch('ada vs smurf (during the outage)', [
      ['ada', 5, false],
      ['smurf', 5, false],
    ]),
  ];
  for (const matchId of later)
    await enqueueRankedMatchPersisted(queue, matchId, { prefix: queue.opts.prefix });
  await untilRuns(db, later, ['deferred']);
  await printRuns(db, later);
  console.log(`  GET /health/ready -> ${await health(worker)}`);
  console.log('  bo reports speedy for cheating (player reports never wait on the engine):');
  const report = await recordPlayerReport(db, {
    matchId: later[0],
    reporterUserId: players.bo,
    reportedUserId: players.speedy,
    category: 'Cheating',
    reason: 'every guess perfect in about a second',
  });
  console.log(`  recordPlayerReport -> ${JSON.stringify(report)}`);
  // Delivered: the stand-in received a review message about the report's signal, and the outbox row is sent.
  const aboutReport = (request) =>
    request.body?.embeds?.[0]?.fields?.some(
      (field) => field.name === 'Signal' && field.value.match(/\d+/)?.[0] === String(report.signalId),
    );
  await until('the report reaches the webhook', async () => {
    if (!webhook.received.some(aboutReport)) return false;
    const sent = await db.query(
      `SELECT 1 FROM notification_outbox WHERE dedupe_key = 'moderation_signal:' || $1 || ':queued' AND sent_at IS NOT NULL`,
      [String(report.signalId)],
    );
    return sent.rowCount === 1;
  });
  console.log('  the report was delivered to the moderators while the engine is still down');
  return later;
}

/** Step 3: the engine comes back; the deferred matches are analysed and every notification delivered. */
async function engineBack({ db, engine, webhook }, later) {
  say('the engine comes back: the deferred matches are analysed');
  await engine.up();
  await untilRuns(db, later, ['analyzed']);
  await printSignals(db, later);
  await printRuns(db, later);
  await until('every review notification is delivered', async () => {
    const pending = await db.query(
      'SELECT count(*)::int AS n FROM notification_outbox WHERE sent_at IS NULL',
    );
    return pending.rows[0].n === 0;
  });
  console.log(`  ${webhook.received.length} review notifications delivered to the moderation webhook`);
}

/** Step 4: SIGTERM; the worker drains and exits 0. */
async function sigterm({ worker }) {
  say('SIGTERM');
  const { code } = await worker.stop(30_000);
  console.log(`  worker exited with code ${code}`);
  if (code !== 0) throw new Error(`worker exited with ${code}`);
}

/** Prints each worker log line as it comes: its message, and the breaker state when it names one. */
function printWorkerLine(text, stream) {
  if (stream === 'stderr' || !text.startsWith('{')) {
    console.error(text);
    return;
  }
  const entry = JSON.parse(text);
  console.log(`  [worker] ${entry.msg}${entry.breaker ? ` (${entry.breaker})` : ''}`);
}

/** Prints each message the moderators' webhook stand-in receives (its title). */
function printWebhookMessage({ body }) {
  console.log(`  [webhook] ${body.embeds?.[0]?.title ?? body.content}`);
}

/** `/health/ready` of the worker as `<status> <body>`. */
async function health(worker) {
  const response = await fetch(`${worker.baseUrl}/health/ready`);
  return `${response.status} ${await response.text()}`;
}

function remainingMs() {
  return Math.max(0, DEADLINE - Date.now());
}

/** Waits until `predicate` holds, within the demo's overall deadline. */
function until(what, predicate) {
  return pollUntil(predicate, { description: what, timeoutMs: remainingMs(), intervalMs: 100 });
}

async function untilRuns(db, matchIds, statuses) {
  await until(`runs are ${statuses.join('/')}`, async () => {
    const result = await db.query('SELECT status FROM risk_analysis_runs WHERE match_id = ANY($1)', [
      matchIds,
    ]);
    return (
      result.rows.length === matchIds.length && result.rows.every((row) => statuses.includes(row.status))
    );
  });
}

async function printSignals(db, matchIds) {
  const result = await db.query(
    `SELECT subject_user_id, detector_key, reason_code, severity, evidence_strength, score, recommended_queue,
            EXISTS (SELECT 1 FROM notification_outbox o
                    WHERE o.dedupe_key = 'moderation_signal:' || s.id || ':queued') AS queued,
            match_id
     FROM moderation_signals s WHERE match_id = ANY($1) ORDER BY match_id, subject_user_id, reason_code`,
    [matchIds],
  );
  console.table(
    result.rows.map((row) => ({
      match: row.match_id.slice(0, 8),
      player: names[row.subject_user_id],
      detector: row.detector_key,
      reason: row.reason_code,
      severity: row.severity,
      evidence: row.evidence_strength,
      score: row.score,
      review: row.queued ? 'queued' : '',
    })),
  );
}

async function printRuns(db, matchIds) {
  const result = await db.query(
    'SELECT match_id, status, attempts, last_failure, signal_count FROM risk_analysis_runs WHERE match_id = ANY($1) ORDER BY first_seen_at',
    [matchIds],
  );
  console.table(result.rows.map((row) => ({ ...row, match_id: row.match_id.slice(0, 8) })));
}

if (process.argv.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}

const cleanup = [];
let failed = false;
try {
  await main(cleanup);
} catch (error) {
  failed = true;
  console.error(`demo failed: ${error?.stack ?? error}`);
} finally {
  for (const step of cleanup.reverse()) {
    try {
      await step();
    } catch (error) {
      console.error(`cleanup: ${error?.message ?? error}`);
    }
  }
}
say(failed ? 'demo FAILED' : 'demo done');
process.exit(failed ? 1 : 0);
