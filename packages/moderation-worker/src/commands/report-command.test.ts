import { randomUUID } from 'node:crypto';
import { openTestPool, type TempDatabase } from '@geoduels/test-support';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedTempDatabase } from '../test-support/worker-harness.js';
import { runReportCommand } from './report-command.js';

let db: TempDatabase;
let pool: pg.Pool;
const matchId = randomUUID();
const reporter = randomUUID();
const reported = randomUUID();

beforeAll(async () => {
  db = await createMigratedTempDatabase('report_cli');
  pool = openTestPool(db.url, 2);
  await pool.query('INSERT INTO users (id) VALUES ($1), ($2)', [reporter, reported]);
  await pool.query('INSERT INTO match_history (match_id) VALUES ($1)', [matchId]);
  await pool.query(
    `INSERT INTO ranked_guess_events (user_id, match_id, round_number, score, guess_ms, occurred_at)
     VALUES ($1, $3, 1, 5000, 4000, now()), ($2, $3, 1, 3000, 8000, now())`,
    [reporter, reported, matchId],
  );
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

async function run(argv: string[], env: NodeJS.ProcessEnv = { POSTGRES_URL: db.url }) {
  let stdout = '';
  let stderr = '';
  const code = await runReportCommand(argv, env, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

const args = (category = 'Cheating') => [
  'report',
  '--match',
  matchId,
  '--reporter',
  reporter,
  '--reported',
  reported,
  '--category',
  category,
  '--reason',
  'aimbot-like guesses',
];

describe('moderation-worker report', () => {
  it('records a report and prints one JSON line, then answers duplicate for the same report', async () => {
    const first = await run(args());
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n')).toHaveLength(2);
    const recorded = JSON.parse(first.stdout);
    expect(recorded).toEqual({ status: 'recorded', signalId: expect.any(String) });

    const second = await run(args('other'));
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ status: 'duplicate', signalId: recorded.signalId });
    const stored = await pool.query('SELECT count(*)::int AS n FROM notification_outbox');
    expect(stored.rows[0].n).toBe(1);
  });

  it('exits 2 with the typed rejection for an invalid report', async () => {
    const result = await run(args('spam'));
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      status: 'invalid',
      field: 'category',
      reason: 'invalid_category',
    });
  });

  it('exits 2 and names the missing flags', async () => {
    const result = await run(['--match', matchId, '--reporter', reporter]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing --reported, --category');
    expect(result.stdout).toBe('');
  });

  it('exits 2 and names an unknown flag', async () => {
    const result = await run([...args(), '--severity', 'critical']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--severity');
  });

  it('exits 2 when POSTGRES_URL is not set', async () => {
    const result = await run(args(), {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('POSTGRES_URL is not set');
  });

  it('exits 1 when the database cannot be reached, without echoing the password', async () => {
    const result = await run(args(), { POSTGRES_URL: 'postgres://mod:hunter2-secret@127.0.0.1:1/none' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('report failed: database error');
    expect(result.stderr).not.toContain('hunter2-secret');
  });

  it('prints usage for --help and exits 0', async () => {
    const result = await run(['--help'], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: moderation-worker report --match <uuid>');
    expect(result.stdout).toContain('cheating, profile, harassment, boosting, other');
  });
});
