import { type PrivateRedisCluster, pollUntil, startPrivateRedisCluster } from '@geoduels/test-support';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRedisTarget } from '../commands/secret-redaction.js';
import { REQUIRED_SCHEMA_VERSION } from '../db/migrate.js';
import type { Database } from '../db/pool.js';
import { captureLogger, createMigratedDatabase } from '../test-support/worker-harness.js';
import { createReadiness } from './readiness.js';
import { createWorkerRedis } from './redis.js';
import { createRedisConnection, parseClusterInfo, type RedisTarget } from './redis-connection.js';

const FAIL_FAST = {
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  connectTimeout: 2_000,
  lazyConnect: true,
  retryStrategy: () => null,
};

describe('one Redis or a Redis Cluster, from the configuration', () => {
  it('builds a single Redis from REDIS_URL alone', () => {
    const redis = createRedisConnection(
      { redisUrl: 'redis://:pw@cache:6380/2', redisCluster: null },
      FAIL_FAST,
    );
    try {
      expect(redis).toBeInstanceOf(Redis);
      expect((redis as Redis).options).toMatchObject({ host: 'cache', port: 6380, db: 2, password: 'pw' });
    } finally {
      redis.disconnect();
    }
  });

  it('builds a Cluster on the seed nodes, with REDIS_URL’s password, user and TLS on every node and the worker’s retry policy where BullMQ reads it', () => {
    const target: RedisTarget = {
      redisUrl: 'rediss://moderation:s3cret@ignored:6379',
      redisCluster: {
        nodes: [
          { host: 'redis-0', port: 7000 },
          { host: '10.0.0.2', port: 7001 },
        ],
      },
    };
    const cluster = createRedisConnection(target, { ...FAIL_FAST, maxRetriesPerRequest: null });
    try {
      expect(cluster).toBeInstanceOf(Cluster);
      const { options } = cluster as Cluster;
      expect((cluster as unknown as { startupNodes: unknown }).startupNodes).toEqual([
        { host: 'redis-0', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ]);
      expect(options.enableOfflineQueue).toBe(false);
      expect(options.redisOptions).toMatchObject({
        username: 'moderation',
        password: 's3cret',
        tls: {},
        maxRetriesPerRequest: null,
        connectTimeout: 2_000,
      });
      expect(describeRedisTarget(target)).toBe('cluster redis-0:7000,10.0.0.2:7001');
    } finally {
      cluster.disconnect();
    }
  });

  it('takes a password-only REDIS_URL (redis://secret@host) as the password, as for one Redis', () => {
    const cluster = createRedisConnection(
      { redisUrl: 'redis://secret@any:6379', redisCluster: { nodes: [{ host: 'a', port: 1 }] } },
      FAIL_FAST,
    );
    try {
      expect((cluster as Cluster).options.redisOptions).toMatchObject({ password: 'secret' });
      expect((cluster as Cluster).options.redisOptions?.username).toBeUndefined();
      expect((cluster as Cluster).options.redisOptions?.tls).toBeUndefined();
    } finally {
      cluster.disconnect();
    }
  });

  it('asks the sentinels for the named master, with REDIS_URL’s password and TLS for the master itself', () => {
    const target: RedisTarget = {
      redisUrl: 'rediss://:s3cret@ignored:6379',
      redisCluster: null,
      redisSentinel: { nodes: [{ host: 'sentinel-0', port: 26379 }], masterName: 'mymaster' },
    };
    const redis = createRedisConnection(target, FAIL_FAST);
    try {
      expect(redis).toBeInstanceOf(Redis);
      expect((redis as Redis).options).toMatchObject({
        sentinels: [{ host: 'sentinel-0', port: 26379 }],
        name: 'mymaster',
        role: 'master',
        password: 's3cret',
        tls: {},
        enableOfflineQueue: false,
      });
      expect(describeRedisTarget(target)).toBe('sentinel master mymaster via sentinel-0:26379');
    } finally {
      redis.disconnect();
    }
  });

  it('reads the state, the known nodes and the serving masters from CLUSTER INFO', () => {
    expect(
      parseClusterInfo(
        'cluster_state:fail\r\ncluster_slots_assigned:16384\r\ncluster_known_nodes:6\r\ncluster_size:3\r\n',
      ),
    ).toEqual({ state: 'fail', knownNodes: 6, size: 3 });
    expect(parseClusterInfo('')).toEqual({ state: 'unknown', knownNodes: 0, size: 0 });
  });
});

describe('readiness on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let db: Database;
  let drop: () => Promise<void>;
  const log = captureLogger();

  beforeAll(async () => {
    // No replicas: a killed master leaves its slots unserved, and the cluster's state stays `fail`.
    cluster = await startPrivateRedisCluster({ masters: 3, replicasPerMaster: 0 });
    const created = await createMigratedDatabase('cluster_ready');
    db = created.db;
    drop = () => created.temp.drop();
  }, 60_000);
  afterAll(async () => {
    await db?.pool.end();
    await drop?.();
    await cluster?.destroy();
  });

  it('is ready while the cluster is ok, and not ready while a slot has no master, though the other nodes still answer PING', async () => {
    const target: RedisTarget = {
      redisUrl: 'redis://127.0.0.1:6379',
      redisCluster: { nodes: cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })) },
    };
    const probe = createWorkerRedis(target, 'probe', log.logger);
    try {
      const readiness = createReadiness({
        redis: probe,
        db,
        requiredVersion: REQUIRED_SCHEMA_VERSION,
        riskEngineState: () => 'closed',
        logger: log.logger,
        timeoutMs: 2_000,
      });
      await pollUntil(async () => (await readiness.probe()).ready, { description: 'ready on the cluster' });
      expect(readiness.snapshot()).toMatchObject({ ready: true, redis: 'up' });

      const dead = cluster.nodes[0]!.port;
      await cluster.kill(dead);
      // Five probes in a row: a PING probe sent to a random node would come back up now and then.
      let downInARow = 0;
      const down = await pollUntil(
        async () => {
          const snapshot = await readiness.probe();
          downInARow = snapshot.redis === 'down' ? downInARow + 1 : 0;
          return downInARow >= 5 ? snapshot : undefined;
        },
        { description: 'redis down in five readiness probes in a row', timeoutMs: 30_000 },
      );
      expect(down).toMatchObject({ ready: false, redis: 'down', postgres: 'up' });
      // The live masters still answer PING: only the cluster's state says a slot is unserved.
      const live = (probe as Cluster).nodes('master').filter((n) => n.options.port !== dead);
      expect(live.length).toBeGreaterThan(0);
      expect(await Promise.all(live.map((n) => n.ping()))).toEqual(live.map(() => 'PONG'));
    } finally {
      probe.disconnect();
    }
  });
});
