import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { openTestPool, type TempDatabase } from '@geoduels/test-support';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertPlayedMatch } from '../test-support/played-match.js';
import { createMigratedTempDatabase } from '../test-support/worker-harness.js';
import { REPORT_DATABASE_TIMEOUT_MS, reportCommand } from './report-command.js';

let db: TempDatabase;
let pool: pg.Pool;
const matchId = randomUUID();
const reporter = randomUUID();
const reported = randomUUID();

beforeAll(async () => {
  db = await createMigratedTempDatabase('report_cli');
  pool = openTestPool(db.url, 2);
  await insertPlayedMatch(pool, matchId, [reporter, reported]);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

async function run(argv: string[], env: NodeJS.ProcessEnv = { POSTGRES_URL: db.url }) {
  let stdout = '';
  let stderr = '';
  const code = await reportCommand.run(argv, env, {
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
    const stored = await pool.query(
      'SELECT count(*)::int AS n FROM notification_outbox WHERE dedupe_key = $1',
      [`moderation_signal:${recorded.signalId}:queued`],
    );
    expect(stored.rows[0].n).toBe(1);
  });

  it('exits 2 with the typed rejection for an invalid report', async () => {
    const selfReport = args().map((arg) => (arg === reported ? reporter : arg));
    const result = await run(selfReport);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      status: 'invalid',
      field: 'reportedUserId',
      reason: 'same_user',
    });
  });

  it('records an unknown category as other', async () => {
    const [match, from, about] = [randomUUID(), randomUUID(), randomUUID()];
    await insertPlayedMatch(pool, match, [from, about]);
    const result = await run([
      '--match',
      match,
      '--reporter',
      from,
      '--reported',
      about,
      '--category',
      'Spam',
    ]);
    expect(result.code).toBe(0);
    const { signalId } = JSON.parse(result.stdout);
    const stored = await pool.query('SELECT reason_code, signal_type FROM moderation_signals WHERE id = $1', [
      signalId,
    ]);
    expect(stored.rows).toEqual([{ reason_code: 'other', signal_type: 'player_report:other' }]);
  });

  it('exits 2 naming the refusal when the reporter is over MODERATION_REPORT_RATE_LIMIT', async () => {
    const [match, from, a, b] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await insertPlayedMatch(pool, match, [from, a, b]);
    const env = {
      POSTGRES_URL: db.url,
      MODERATION_REPORT_RATE_LIMIT: '1',
      MODERATION_REPORT_RATE_WINDOW: '10m',
    };
    const file = (about: string) =>
      run(['--match', match, '--reporter', from, '--reported', about, '--category', 'cheating'], env);
    expect((await file(a)).code).toBe(0);
    const refused = await file(b);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toEqual({
      status: 'invalid',
      field: 'reporterUserId',
      reason: 'rate_limited',
    });
    expect(refused.stderr).toContain(
      'report refused (rate_limited): reporterUserId: the reporter has filed too many reports recently',
    );
  });

  it('exits 2 naming the variable and its bounds for a rate limit out of range', async () => {
    const result = await run(args(), { POSTGRES_URL: db.url, MODERATION_REPORT_RATE_LIMIT: '0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MODERATION_REPORT_RATE_LIMIT: must be between 1 and 1000');
    const window = await run(args(), { POSTGRES_URL: db.url, MODERATION_REPORT_RATE_WINDOW: '5s' });
    expect(window.code).toBe(2);
    expect(window.stderr).toContain(
      'MODERATION_REPORT_RATE_WINDOW: must be between 60000 ms and 604800000 ms',
    );
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

  it('exits 1 within its bound when PostgreSQL accepts connections and never answers', async () => {
    const silent = createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as AddressInfo;
    try {
      const started = performance.now();
      const result = await run(args(), {
        POSTGRES_URL: `postgres://mod:hunter2-secret@127.0.0.1:${port}/none`,
      });
      expect(performance.now() - started).toBeLessThan(REPORT_DATABASE_TIMEOUT_MS + 2_000);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^moderation-worker report: report failed: database error: .*timeout/);
      expect(result.stderr).not.toContain('hunter2-secret');
    } finally {
      silent.close();
    }
  });

  it('prints usage for --help and exits 0', async () => {
    const result = await run(['--help'], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: moderation-worker report --match <uuid>');
    expect(result.stdout).toContain('cheating, profile, harassment, boosting, other');
    expect(result.stdout).toContain('anything else is recorded as other');
  });
});
