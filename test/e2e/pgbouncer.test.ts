// Fault-matrix row "PostgreSQL through PgBouncer": the worker process as production runs it, behind a
// real PgBouncer in transaction pooling mode with POSTGRES_PGBOUNCER=true. One PgBouncer has a single
// server connection, so every statement of every client lands on one server session: anything a
// statement left on it (a named prepared statement, a session setting, a lock) would be seen there.
// Another has four, so two replicas' notification claims really run side by side.
import { REQUIRED_SCHEMA_VERSION, recordPlayerReport } from '@geoduels/moderation-worker';
import {
  applyApiSchema,
  createTempDatabase,
  type PrivatePgBouncer,
  pollUntil,
  queryRows,
  runWorkerCli,
  startPrivatePgBouncer,
  startWorker,
  stopAllProcesses,
  type WorkerProcess,
} from '@geoduels/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricSum, scrapeMetrics } from '../support/metrics.js';
import { deliveredSignalId, deliveryReport, expectExactlyOnce, outboxTotals } from '../support/observe.js';
import { seedRankedMatches } from '../support/seed.js';
import { openWorld, type World } from '../support/world.js';

let single: PrivatePgBouncer;
let four: PrivatePgBouncer;
let world: World;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  [single, four] = await Promise.all([
    startPrivatePgBouncer({ poolSize: 1 }),
    startPrivatePgBouncer({ poolSize: 4 }),
  ]);
  // The world's own worker goes directly to PostgreSQL; it is stopped at once, and the tests start
  // theirs through PgBouncer with the world's environment.
  world = await openWorld({ label: 'pgbouncer' });
  await world.worker.stop();
});

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.stop()));
  await stopAllProcesses();
  await world?.close();
  await Promise.allSettled([single?.stop(), four?.stop()]);
});

/** What a session keeps between transactions, as seen from inside it. */
const SESSION_STATE_SQL = `
  SELECT ARRAY(SELECT name FROM pg_prepared_statements ORDER BY name) AS prepared,
         (SELECT count(*)::int FROM pg_cursors) AS cursors,
         ARRAY(SELECT pg_listening_channels()) AS channels,
         (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS "advisoryLocks",
         (SELECT count(*)::int FROM pg_class WHERE relpersistence = 't') AS "tempTables",
         ARRAY(SELECT name FROM pg_settings WHERE source = 'session' ORDER BY name) AS settings`;

/** The start-up parameters PgBouncer keeps in step between its clients and a server connection. */
const PGBOUNCER_TRACKED = new Set([
  'application_name',
  'client_encoding',
  'DateStyle',
  'TimeZone',
  'standard_conforming_strings',
]);

/** A worker of the world's environment whose PostgreSQL is `bouncer`, with POSTGRES_PGBOUNCER=true. */
async function workerThrough(bouncer: PrivatePgBouncer, name: string, extra: Record<string, string> = {}) {
  const worker = await startWorker(
    {
      ...world.env,
      POSTGRES_URL: bouncer.through(world.scenario.databaseUrl),
      POSTGRES_PGBOUNCER: 'true',
      ...extra,
    },
    name,
  );
  workers.push(worker);
  return worker;
}

const health = async (worker: WorkerProcess) =>
  (await (await fetch(`${worker.baseUrl}/health`)).json()) as { ready: boolean; postgres: string };

/** Server connections PgBouncer holds for a database. */
const serverConnections = async (bouncer: PrivatePgBouncer, database: string) =>
  (await bouncer.admin('SHOW SERVERS')).filter((row) => row.database === database);

describe.sequential('the worker through PgBouncer (transaction pooling, POSTGRES_PGBOUNCER=true)', () => {
  it('refuses to migrate through PgBouncer, naming the direct URL, changes nothing, and migrates through that direct URL', async () => {
    const fresh = await createTempDatabase('pgbouncer_migrate');
    try {
      await applyApiSchema(fresh.url);
      const refused = await runWorkerCli(['migrate', 'up'], {
        POSTGRES_URL: single.through(fresh.url),
        POSTGRES_PGBOUNCER: 'true',
      });
      expect(refused.exit.code).toBe(2);
      expect(refused.logs.text()).toContain('POSTGRES_MIGRATE_URL');
      expect(refused.logs.text()).toContain('POSTGRES_PGBOUNCER=false');
      expect(
        await queryRows(fresh.url, `SELECT to_regclass('moderation_worker_schema_migrations') AS t`),
      ).toEqual([{ t: null }]);

      const status = await runWorkerCli(['migrate', 'status'], {
        POSTGRES_URL: single.through(world.scenario.databaseUrl),
        POSTGRES_PGBOUNCER: 'true',
      });
      expect(status.exit.code).toBe(0);
      expect(status.logs.lines[0]).toMatchObject({
        version: REQUIRED_SCHEMA_VERSION,
        dirty: false,
        pending: [],
      });

      const direct = await runWorkerCli(['migrate', 'up'], {
        POSTGRES_URL: fresh.url,
        POSTGRES_PGBOUNCER: 'false',
      });
      expect(direct.exit.code).toBe(0);
      expect(direct.logs.lines[0]).toMatchObject({ to: REQUIRED_SCHEMA_VERSION });
    } finally {
      await fresh.drop();
    }
  });

  it('analyses every match once with discovery on, eight jobs at a time on one server session, and leaves no prepared statement on it', async () => {
    const { scenario, webhook } = world;
    const worker = await workerThrough(single, 'through-single', {
      MODERATION_WORKER_CONCURRENCY: '8',
      POSTGRES_MAX_CONNS: '4',
      MODERATION_DISCOVERY_ENABLED: 'true',
      MODERATION_DISCOVERY_INTERVAL: '200ms',
    });
    await worker.waitReady();
    expect(await health(worker)).toMatchObject({ ready: true, postgres: 'up' });

    const seeded = (await seedRankedMatches(scenario.pool, { matches: 60, seed: 16 })).matches;
    const ids = seeded.map((m) => m.matchId);
    await scenario.enqueue(ids);
    await pollUntil(async () => (await scenario.queue.getJobCounts('completed')).completed === ids.length, {
      description: 'all 60 jobs completed through PgBouncer',
      timeoutMs: 90_000,
    });
    const { audit } = await expectExactlyOnce(scenario.pool, seeded, ids);
    await webhook.waitForCount(audit.outboxRows);
    await pollUntil(
      async () =>
        (await scenario.pool.query('SELECT 1 FROM notification_outbox WHERE sent_at IS NULL')).rowCount === 0,
      { description: 'every outbox row marked sent' },
    );
    expect(await deliveryReport(scenario.pool, webhook.received)).toEqual({ missing: [], unexpected: [] });

    // Several clients of the worker's pool, one server session under all of them.
    const database = new URL(scenario.databaseUrl).pathname.slice(1);
    const clients = (await single.admin('SHOW CLIENTS')).filter((row) => row.database === database);
    expect(clients.length).toBeGreaterThan(1);
    const servers = await serverConnections(single, database);
    expect(servers).toHaveLength(1);
    // One backend for the worker's four-client pool.
    const direct = await queryRows<{ n: number }>(
      scenario.databaseUrl,
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'moderation-worker'`,
      [database],
    );
    expect(direct).toEqual([{ n: 1 }]);
    // These views list the session's own state: through this PgBouncer it is THE session every
    // statement of the run used (facts, store, claims, discovery, readiness). Settings a client set
    // there would show with source 'session'; PgBouncer itself sets only the parameters it tracks.
    const [state] = await queryRows<{ settings: string[] } & Record<string, unknown>>(
      single.through(scenario.databaseUrl),
      SESSION_STATE_SQL,
    );
    const { settings, ...kept } = state!;
    expect(kept).toEqual({ prepared: [], cursors: 0, channels: [], advisoryLocks: 0, tempTables: 0 });
    expect(settings.filter((name) => !PGBOUNCER_TRACKED.has(name))).toEqual([]);
    await worker.stop();
  });

  it('readiness: up through PgBouncer; with POSTGRES_PGBOUNCER=false the worker cannot connect there and stays unready; a stopped PgBouncer turns a ready worker unready', async () => {
    const misconfigured = await workerThrough(single, 'pgbouncer-false', { POSTGRES_PGBOUNCER: 'false' });
    await pollUntil(async () => (await health(misconfigured)).postgres === 'down', {
      description: 'the misconfigured worker reports PostgreSQL down',
    });
    expect(await health(misconfigured)).toMatchObject({ ready: false });
    await misconfigured.stop();

    const extra = await startPrivatePgBouncer({ poolSize: 1 });
    try {
      const worker = await workerThrough(extra, 'through-extra');
      await worker.waitReady();
      await extra.stop();
      await pollUntil(async () => (await health(worker)).postgres === 'down', {
        description: 'readiness to see PgBouncer gone',
      });
      expect(await health(worker)).toMatchObject({ ready: false });
      await worker.stop();
    } finally {
      await extra.stop();
    }
  });

  it('two replicas claim notifications side by side through PgBouncer: each row claimed once, attempted once and delivered once', async () => {
    const { scenario, webhook } = world;
    const before = await outboxTotals(scenario.pool);
    const receivedBefore = webhook.received.length;
    const seeded = (await seedRankedMatches(scenario.pool, { matches: 20, seed: 61 })).matches;
    const reports = seeded.flatMap((match) => {
      const [a, b] = match.playerIds;
      return [
        { matchId: match.matchId, reporterUserId: a!, reportedUserId: b!, category: 'cheating' },
        { matchId: match.matchId, reporterUserId: b!, reportedUserId: a!, category: 'cheating' },
      ];
    });
    for (const report of reports)
      expect((await recordPlayerReport(scenario.pool, report)).status).toBe('recorded');
    // Not due until both replicas are up, then all due in one statement: the claims start together.
    await scenario.pool.query(
      `UPDATE notification_outbox SET next_attempt_at = now() + interval '1 hour' WHERE sent_at IS NULL`,
    );
    const replicas = [
      await workerThrough(four, 'claims-1', { MODERATION_NOTIFY_CONCURRENCY: '4' }),
      await workerThrough(four, 'claims-2', { MODERATION_NOTIFY_CONCURRENCY: '4' }),
    ];
    await Promise.all(replicas.map((r) => r.waitReady()));

    // The first eight POSTs are held until eight are in flight: each replica has at most four (its
    // MODERATION_NOTIFY_CONCURRENCY), so both must have claimed a batch, and the batches were disjoint.
    const held: Array<() => void> = [];
    for (let i = 0; i < 8; i++) {
      webhook.respondNext((response) => {
        held.push(() => response.writeHead(204).end());
        if (held.length === 8) for (const release of held) release();
      });
    }
    await scenario.pool.query('UPDATE notification_outbox SET next_attempt_at = now() WHERE sent_at IS NULL');

    await pollUntil(async () => (await outboxTotals(scenario.pool)).sent === before.rows + reports.length, {
      description: `${reports.length} report notifications sent`,
      timeoutMs: 60_000,
    });
    const after = await outboxTotals(scenario.pool);
    expect(after.attempts - before.attempts).toBe(reports.length);
    const delivered = webhook.received.slice(receivedBefore).map((r) => deliveredSignalId(r.body));
    expect(delivered).toHaveLength(reports.length);
    expect(new Set(delivered).size).toBe(reports.length);
    expect(held).toHaveLength(8);
    const sent = await Promise.all(
      replicas.map(async (r) =>
        metricSum(
          (await scrapeMetrics(`${r.baseUrl}/metrics`)).samples,
          'moderation_notifications_sent_total',
        ),
      ),
    );
    expect(sent.reduce((a, b) => a + b, 0)).toBe(reports.length);
    expect(sent.every((n) => n >= 4)).toBe(true);
  });
});
