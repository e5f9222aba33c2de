import {
  createProducerConnection,
  enqueueRankedMatchPersisted,
  migrateUp,
  openRankedMatchQueue,
} from '@geoduels/moderation-worker';
import {
  createWorkerDatabase,
  migrateWithCli,
  type PrivatePostgres,
  pollUntil,
  prepareWorkerSchema,
  REDIS_URL,
  uniquePrefix,
  type WorkerEnv,
} from '@geoduels/test-support';
import type { Queue } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';

/** Where one test file's worker lives: its database, Redis, queue prefix, and handles to observe them. */
export interface Scenario {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** REDIS_CLUSTER_NODES when the scenario runs on a Redis Cluster; undefined on one Redis. */
  readonly redisClusterNodes: string | undefined;
  readonly queueName: string;
  readonly prefix: string;
  /** A pool on the scenario's database, for seeding and for observing rows. */
  readonly pool: pg.Pool;
  /** The analysis queue opened with the worker's own producer helper (job options included). */
  readonly queue: Queue;
  /**
   * The worker environment for this scenario, plus `extra`. Discovery is off unless `extra` turns it
   * on: the other scenarios enqueue exactly what they mean to, and a sweep would add to it.
   */
  workerEnv(extra?: WorkerEnv): WorkerEnv;
  /** Enqueues matches with the API's producer helper; throws if any enqueue was refused. */
  enqueue(matchIds: readonly string[]): Promise<void>;
  /** Closes connections and drops the database (a private cluster is the caller's to destroy). */
  close(): Promise<void>;
}

/** Options of {@link createScenario}. */
export interface ScenarioOptions {
  /** Label used in the database name and the key prefix. */
  label: string;
  /** Use a database on this private cluster instead of the shared CI server. */
  postgres?: PrivatePostgres;
  /** Use this Redis instead of the shared CI one. */
  redisUrl?: string;
  /** Run on this Redis Cluster (a REDIS_CLUSTER_NODES value, e.g. a private cluster's `seedNodes`). */
  redisClusterNodes?: string;
  /** Run on the master these Sentinels name (REDIS_SENTINELS and REDIS_SENTINEL_MASTER values). */
  redisSentinel?: { sentinels: string; masterName: string };
  /**
   * Migrate with the `moderation-worker migrate up` process (`'cli'`) or the same code in-process
   * through the package's `migrateUp` (default `'library'`, a node start-up cheaper).
   */
  migrateWith?: 'cli' | 'library';
}

/**
 * Creates a database with the API schema, migrates it with the worker's own `migrate up` command,
 * and opens the queue under a fresh prefix.
 */
export async function createScenario(options: ScenarioOptions): Promise<Scenario> {
  const label = options.label.replace(/[^a-z0-9]/gi, '_').toLowerCase();
  const migrate = options.migrateWith === 'cli' ? migrateWithCli : migrateUp;
  let databaseUrl: string;
  let drop: () => Promise<void>;
  if (options.postgres === undefined) {
    const database = await createWorkerDatabase(`e2e_${label}`, { migrate });
    databaseUrl = database.url;
    drop = () => database.drop();
  } else {
    databaseUrl = await options.postgres.createDatabase(`e2e_${label}`);
    drop = async () => undefined;
    await prepareWorkerSchema(databaseUrl, migrate);
  }

  const redisUrl = options.redisUrl ?? REDIS_URL;
  const prefix = uniquePrefix(label);
  const queueName = 'moderation.risk-analysis';
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // A PostgreSQL restart kills idle clients; without a listener the pool's 'error' would crash the test.
  pool.on('error', () => undefined);
  const nodesOf = (list: string) =>
    list.split(',').map((node) => {
      const [host, port] = node.split(':');
      return { host: host!, port: Number(port) };
    });
  const clusterNodes =
    options.redisClusterNodes === undefined ? undefined : nodesOf(options.redisClusterNodes);
  const sentinel =
    options.redisSentinel === undefined
      ? undefined
      : { nodes: nodesOf(options.redisSentinel.sentinels), masterName: options.redisSentinel.masterName };
  // Observation must ride out a Redis restart (or a failover), so this connection retries (unlike the producer's).
  const connection =
    clusterNodes !== undefined
      ? new Cluster(clusterNodes, { redisOptions: { maxRetriesPerRequest: null } })
      : sentinel !== undefined
        ? new Redis({ sentinels: sentinel.nodes, name: sentinel.masterName, maxRetriesPerRequest: null })
        : new Redis(redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const queue = openRankedMatchQueue(connection, { name: queueName, prefix });
  // The API's producer connection, built the way the API builds it for this Redis.
  const producer =
    clusterNodes !== undefined
      ? createProducerConnection({ redisUrl, redisCluster: { nodes: clusterNodes } })
      : sentinel !== undefined
        ? createProducerConnection({ redisUrl, redisCluster: null, redisSentinel: sentinel })
        : createProducerConnection(redisUrl);
  producer.on('error', () => undefined);

  return {
    databaseUrl,
    redisUrl,
    redisClusterNodes: options.redisClusterNodes,
    queueName,
    prefix,
    pool,
    queue,
    workerEnv: (extra = {}) => ({
      POSTGRES_URL: databaseUrl,
      ...(options.redisClusterNodes !== undefined
        ? { REDIS_CLUSTER_NODES: options.redisClusterNodes }
        : options.redisSentinel !== undefined
          ? {
              REDIS_SENTINELS: options.redisSentinel.sentinels,
              REDIS_SENTINEL_MASTER: options.redisSentinel.masterName,
            }
          : { REDIS_URL: redisUrl }),
      MODERATION_QUEUE_NAME: queueName,
      MODERATION_QUEUE_PREFIX: prefix,
      MODERATION_DISCOVERY_ENABLED: 'false',
      ...extra,
    }),
    async enqueue(matchIds) {
      // Bounded: a producer that never reconnects (e.g. after a failover) fails the test with a reason.
      await pollUntil(() => producer.status === 'ready', {
        description: `the producer connection to be ready (it is ${producer.status})`,
        timeoutMs: 30_000,
      });
      const producerQueue = openRankedMatchQueue(producer, { name: queueName, prefix });
      try {
        for (let i = 0; i < matchIds.length; i += 200) {
          const results = await Promise.all(
            matchIds
              .slice(i, i + 200)
              .map((id) => enqueueRankedMatchPersisted(producerQueue, id, { name: queueName, prefix })),
          );
          const refused = results.filter((result) => !result.ok);
          if (refused.length > 0) throw new Error(`enqueue refused: ${JSON.stringify(refused[0])}`);
        }
      } finally {
        await producerQueue.close();
      }
    },
    async close() {
      try {
        // Remove every key of this queue: the shared Redis must not collect test leftovers.
        // Bounded, so a Redis that is gone cannot hang the close and hide the test's own failure.
        await Promise.race([
          queue.obliterate({ force: true }).catch(() => undefined),
          new Promise((resolve) => setTimeout(resolve, 10_000).unref()),
        ]);
        await queue.close().catch(() => undefined);
        connection.disconnect();
        producer.disconnect();
        await pool.end().catch(() => undefined);
      } finally {
        await drop();
      }
    },
  };
}
