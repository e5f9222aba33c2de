#!/usr/bin/env node
// The end-to-end demo: fake engine + the real worker process + sample matches. Signals are stored,
// the engine goes down (the worker stays ready and defers, and a player report still reaches the
// moderators' webhook at once), comes back, and the deferred matches are analysed. Everything it creates (database, Redis keys, processes) is removed, even on failure.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startFakeRiskEngine } from '@geoduels/fake-risk-engine';
import {
  createProducerConnection,
  enqueueRankedMatchPersisted,
  migrateUp,
  openRankedMatchQueue,
  recordPlayerReport,
} from '@geoduels/moderation-worker';
import pg from 'pg';

// biome-ignore lint/suspicious/noUndeclaredEnvVars: the demo runs outside turbo
const ADMIN_URL = process.env.DEMO_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// biome-ignore lint/suspicious/noUndeclaredEnvVars: the demo runs outside turbo
const REDIS_URL = process.env.DEMO_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKER_DIR = fileURLToPath(new URL('../packages/moderation-worker/', import.meta.url));
const CLI = `${WORKER_DIR}dist/cli.js`;
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
  const dbName = `gd_demo_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrlObject = new URL(ADMIN_URL);
  dbUrlObject.pathname = `/${dbName}`;
  const dbUrl = dbUrlObject.toString();
  cleanup.push(async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await c.end();
    console.log(`dropped database ${dbName}`);
  });

  say(`database ${dbName}: API schema + migrations`);
  const db = new pg.Pool({ connectionString: dbUrl, max: 2 });
  cleanup.push(() => db.end());
  await db.query(await readFile(`${WORKER_DIR}db/api-schema.sql`, 'utf8'));
  console.log(JSON.stringify(await migrateUp(dbUrl)));
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

  say('fake risk engine + worker process');
  const engine = await startFakeRiskEngine({ token: TOKEN });
  cleanup.push(() => engine.stop());
  const prefix = `{gd-demo-${randomBytes(3).toString('hex')}}`;
  const producer = createProducerConnection(REDIS_URL);
  const queue = openRankedMatchQueue(producer, { prefix });
  cleanup.push(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    producer.disconnect();
  });
  const webhook = await startWebhook();
  cleanup.push(() => webhook.close());
  const worker = spawn(process.execPath, [CLI, 'run'], {
    env: {
      ...process.env,
      POSTGRES_URL: dbUrl,
      REDIS_URL,
      MODERATION_QUEUE_PREFIX: prefix,
      MODERATION_WORKER_ADDR: '127.0.0.1:0',
      RISK_ENGINE_URL: engine.url,
      RISK_ENGINE_TOKEN: TOKEN,
      MODERATION_WEBHOOK_URL: webhook.url,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => worker.once('exit', (code) => resolve(code)));
  cleanup.push(async () => {
    if (worker.exitCode === null && worker.signalCode === null) {
      worker.kill('SIGKILL');
      await exited;
    }
  });
  let port;
  let consuming = false;
  let buffered = '';
  worker.stdout.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) {
      const entry = JSON.parse(line);
      if (entry.msg === 'moderation worker started') port = entry.port;
      if (entry.msg === 'consuming jobs') consuming = true;
      console.log(`  [worker] ${entry.msg}${entry.breaker ? ` (${entry.breaker})` : ''}`);
    }
  });
  await until('the worker consumes jobs', () => consuming);
  const health = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
    return `${response.status} ${await response.text()}`;
  };
  await until('the worker is ready', async () => (await health()).startsWith('200'));
  console.log(`  GET /health/ready -> ${await health()}`);

  say('enqueue the matches (as the API does after persisting them)');
  for (const matchId of first)
    console.log(`  ${JSON.stringify(await enqueueRankedMatchPersisted(queue, matchId))}`);
  await untilRuns(db, first, ['analyzed']);
  await printSignals(db, first);
  await printRuns(db, first);

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
  for (const matchId of later) await enqueueRankedMatchPersisted(queue, matchId);
  await untilRuns(db, later, ['deferred']);
  await printRuns(db, later);
  console.log(`  GET /health/ready -> ${await health()}`);
  console.log('  bo reports speedy for cheating (player reports never wait on the engine):');
  const report = await recordPlayerReport(db, {
    matchId: later[0],
    reporterUserId: players.bo,
    reportedUserId: players.speedy,
    category: 'Cheating',
    reason: 'every guess perfect in about a second',
  });
  console.log(`  recordPlayerReport -> ${JSON.stringify(report)}`);
  await until('the report reaches the webhook', async () => {
    const sent = await db.query(
      `SELECT 1 FROM notification_outbox WHERE dedupe_key = 'moderation_signal:' || $1 || ':queued' AND sent_at IS NOT NULL`,
      [String(report.signalId)],
    );
    return sent.rowCount === 1;
  });
  console.log('  the report was delivered to the moderators while the engine is still down');

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

  say('SIGTERM');
  worker.kill('SIGTERM');
  const code = await exited;
  console.log(`  worker exited with code ${code}`);
  if (code !== 0) throw new Error(`worker exited with ${code}`);
}

// A local stand-in for the moderators' Discord webhook: prints each message's title.
async function startWebhook() {
  const received = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const message = JSON.parse(body);
      received.push(message);
      console.log(`  [webhook] ${message.embeds?.[0]?.title ?? message.content}`);
      response.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/api/webhooks/demo/${randomBytes(8).toString('hex')}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until(what, predicate) {
  while (!(await predicate())) {
    if (Date.now() > DEADLINE) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
