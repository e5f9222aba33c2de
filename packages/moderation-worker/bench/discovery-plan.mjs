// What one discovery pass costs PostgreSQL on a production-shaped match_history, without and with the
// index docs/performance.md proposes to the API team. Seeds its own throwaway database (N matches
// over 30 days, every ranked duel analysed but the last 10 s, as in steady state), runs the worker's
// own FIND_UNANALYSED_SQL under EXPLAIN (ANALYZE, BUFFERS), and prints the plans and the median
// execution times. The index is created only in this throwaway database: match_history is the
// API's table, and the worker never creates it there.
//
//   npm run build && node packages/moderation-worker/bench/discovery-plan.mjs [--matches 100000] [--runs 7]

import { parseArgs } from 'node:util';
import pg from 'pg';
import { FIND_UNANALYSED_SQL } from '../dist/analysis/discovery-sql.js';
import { applySchema, createBenchDatabase } from './lib/database.mjs';

const { values: args } = parseArgs({
  options: {
    matches: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '7' },
    batch: { type: 'string', default: '500' },
  },
});
const MATCHES = Number(args.matches);
const RUNS = Number(args.runs);
const BATCH = Number(args.batch);
const INDEX_SQL = `CREATE INDEX idx_match_history_ranked_duel_ended
  ON match_history (ended_at, match_id) WHERE ranked AND mode = 'duel'`;

// The windows a pass scans: steady state (the cursor one interval old, 5 min overlap) and the
// first round after an hour without any sweeper.
const WINDOWS = [
  { name: 'steady state (cursor 5 s old, overlap 5 min)', behind: '5 minutes 5 seconds' },
  { name: 'after an hour without a sweeper', behind: '1 hour 5 minutes' },
];

const database = await createBenchDatabase();
const pool = new pg.Pool({ connectionString: database.url, max: 2 });
try {
  await applySchema(database.url);
  const seeded = Date.now();
  await seed(pool);
  console.log(
    `seeded ${MATCHES.toLocaleString('en')} matches in ${((Date.now() - seeded) / 1000).toFixed(1)} s`,
  );
  const size = await pool.query(
    `SELECT pg_size_pretty(pg_relation_size('match_history')) AS heap,
            (SELECT relpages FROM pg_class WHERE relname = 'match_history') AS pages`,
  );
  console.log(`match_history: ${size.rows[0].heap}, ${size.rows[0].pages} pages\n`);

  for (const indexed of [false, true]) {
    if (indexed) {
      await pool.query(INDEX_SQL);
      await pool.query('ANALYZE match_history');
      const index = await pool.query(
        `SELECT pg_size_pretty(pg_relation_size('idx_match_history_ranked_duel_ended')) AS size`,
      );
      console.log(`--- with ${INDEX_SQL.replace(/\s+/g, ' ')} (${index.rows[0].size})\n`);
    } else {
      console.log('--- without an index on ended_at (production today: only the primary key)\n');
    }
    for (const window of WINDOWS) await explain(pool, window);
  }
} finally {
  await pool.end();
  await database.drop();
}

async function seed(db) {
  await db.query(
    `INSERT INTO match_history (match_id, mode, ranked, started_at, ended_at, winner_user_id, source_kind)
     SELECT gen_random_uuid(),
            CASE WHEN g % 10 < 8 THEN 'duel' ELSE 'party' END,
            g % 10 < 7,
            t - interval '4 minutes', t, gen_random_uuid(), 'queue'
     FROM generate_series(1, $1::int) AS g,
          LATERAL (SELECT now() - (g::float8 / $1) * interval '30 days' AS t) AS at`,
    [MATCHES],
  );
  await db.query(
    `INSERT INTO risk_analysis_runs (match_id, status, signal_count, first_seen_at, updated_at, finished_at)
     SELECT match_id, 'analyzed', 0, ended_at, ended_at, ended_at FROM match_history
     WHERE ranked AND mode = 'duel' AND ended_at < now() - interval '10 seconds'`,
  );
  await db.query('VACUUM ANALYZE match_history, risk_analysis_runs');
}

async function explain(db, window) {
  const after = await db.query(
    `SELECT (extract(epoch FROM now() - $1::interval) * 1000000)::bigint AS after`,
    [window.behind],
  );
  const params = [after.rows[0].after, '00000000-0000-0000-0000-000000000000', BATCH];
  const times = [];
  let plan = '';
  for (let i = 0; i < RUNS; i++) {
    const result = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${FIND_UNANALYSED_SQL}`, params);
    const lines = result.rows.map((row) => row['QUERY PLAN']);
    times.push(Number(/Execution Time: ([\d.]+) ms/.exec(lines.at(-1))?.[1]));
    plan = lines.join('\n');
  }
  times.sort((a, b) => a - b);
  console.log(
    `${window.name}: median ${times[Math.floor(times.length / 2)].toFixed(2)} ms over ${RUNS} runs`,
  );
  console.log(`${plan}\n`);
}
