// Commit times for the latency phase: a deferred constraint trigger fires at COMMIT of every
// transaction that marks a run analysed and records clock_timestamp() then. Installed only for
// that phase (it adds a row per match), on the benchmark's own database.

const INSTALL_SQL = `
CREATE TABLE bench_commits (match_id uuid PRIMARY KEY, committed_at timestamptz NOT NULL);
CREATE FUNCTION bench_record_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bench_commits (match_id, committed_at) VALUES (NEW.match_id, clock_timestamp())
  ON CONFLICT (match_id) DO NOTHING;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER bench_record_commit AFTER INSERT OR UPDATE ON risk_analysis_runs
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status = 'analyzed')
  EXECUTE FUNCTION bench_record_commit();`;

const REMOVE_SQL = `
DROP TRIGGER IF EXISTS bench_record_commit ON risk_analysis_runs;
DROP FUNCTION IF EXISTS bench_record_commit();
DROP TABLE IF EXISTS bench_commits;`;

/** Starts recording commit times of analysed runs. */
export async function installCommitClock(pool) {
  await pool.query(REMOVE_SQL);
  await pool.query(INSTALL_SQL);
}

/** Stops recording and forgets what was recorded. */
export async function removeCommitClock(pool) {
  await pool.query(REMOVE_SQL);
}

/** Number of analysed commits recorded so far. */
export async function commitCount(pool) {
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM bench_commits');
  return rows[0].n;
}

/** Commit time (epoch milliseconds, microsecond resolution) of every recorded match. */
export async function commitTimes(pool) {
  const { rows } = await pool.query(
    'SELECT match_id, extract(epoch FROM committed_at)::float8 * 1000 AS ms FROM bench_commits',
  );
  return new Map(rows.map((row) => [row.match_id, row.ms]));
}
