import { randomUUID } from 'node:crypto';
import { openTestPool, startWebhookReceiver, type TempDatabase } from '@geoduels/test-support';
import type pg from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMigratedTempDatabase } from '../test-support/worker-harness.js';
import { type OutboxDelivery, startOutboxDelivery } from './delivery.js';
import { type QueuedSignalPayload, SIGNAL_QUEUED, signalDedupeKey } from './outbox-payload.js';
import { fixedWebhookUrl } from './webhook-url-source.js';

const BACKLOG = 200;

let db: TempDatabase;
const pools: pg.Pool[] = [];

beforeAll(async () => {
  db = await createMigratedTempDatabase('notify_once');
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await db?.drop();
});

it('delivers each notification of a shared backlog exactly once with two replicas polling', async () => {
  const seed = openTestPool(db.url, 1);
  pools.push(seed);
  const signalIds = Array.from({ length: BACKLOG }, (_, index) => 7_000 + index);
  await seed.query(
    `INSERT INTO notification_outbox (type, dedupe_key, payload_json)
     SELECT $1, key, payload FROM unnest($2::text[], $3::jsonb[]) AS rows (key, payload)`,
    [SIGNAL_QUEUED, signalIds.map(signalDedupeKey), signalIds.map((id) => JSON.stringify(queued(id)))],
  );

  const deliveries = new Map<string, number>();
  let allDelivered: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allDelivered = resolve;
  });
  const webhook = await startWebhookReceiver(
    { kind: 'ok' },
    {
      onReceive: ({ body }) => {
        const fields = (body as { embeds: { fields: { name: string; value: string }[] }[] }).embeds[0]!
          .fields;
        const signal = fields.find((f) => f.name === 'Signal');
        const id = signal?.value.replaceAll('`', '') ?? 'missing';
        deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
        if (deliveries.size === BACKLOG) allDelivered();
      },
    },
  );
  const url = `${webhook.url}/api/webhooks/1/token`;

  // Two replicas: separate pools, registries and loops, all claiming the same rows at once.
  const registries = [new Registry(), new Registry()];
  const replicas: OutboxDelivery[] = registries.map((registry) => {
    const pool = openTestPool(db.url, 4);
    pools.push(pool);
    return startOutboxDelivery({
      pool,
      webhook: fixedWebhookUrl(url),
      logger: pino({ level: 'silent' }),
      registry,
      concurrency: 8,
      pollIntervalMs: 10,
    });
  });
  try {
    await done;
  } finally {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await webhook.close();
  }

  expect(deliveries.size).toBe(BACKLOG);
  expect([...deliveries.values()].every((count) => count === 1)).toBe(true);
  expect(new Set(deliveries.keys())).toEqual(new Set(signalIds.map(String)));
  const rows = await seed.query(
    `SELECT count(*)::int AS sent, sum(attempts)::int AS attempts
     FROM notification_outbox WHERE sent_at IS NOT NULL AND last_error IS NULL`,
  );
  expect(rows.rows[0]).toEqual({ sent: BACKLOG, attempts: BACKLOG });
  const sentByReplica = await Promise.all(
    registries.map(
      async (registry) =>
        (await registry.getSingleMetric('moderation_notifications_sent_total')?.get())?.values[0]?.value ?? 0,
    ),
  );
  expect(sentByReplica[0]! + sentByReplica[1]!).toBe(BACKLOG);
});

function queued(signalId: number): QueuedSignalPayload {
  return {
    signalId,
    subjectUserId: randomUUID(),
    subjectName: `player ${signalId}`,
    severity: 'critical',
    evidenceStrength: 'strong',
    reasonCode: 'impossible_precision',
    occurredAt: new Date().toISOString(),
  };
}
