import { describe, expect, it } from 'vitest';
import { reportRateLimitFromEnv, workerConfigFromEnv } from './config.js';
import { WorkerConfigError } from './errors.js';

const BASE = { POSTGRES_URL: 'postgres://u:pw@db:5432/geoduels' };

describe('worker configuration', () => {
  it('applies the documented defaults', () => {
    const config = workerConfigFromEnv(BASE);
    expect(JSON.parse(JSON.stringify(config))).toEqual({
      postgresUrl: BASE.POSTGRES_URL,
      postgresMaxConns: 10,
      postgresPgbouncer: false,
      redisUrl: 'redis://127.0.0.1:6379',
      redisCluster: null,
      redisSentinel: null,
      queueName: 'moderation.risk-analysis',
      queuePrefix: '{moderation}',
      addr: { port: 8093 },
      concurrency: 128,
      batchSize: 32,
      riskEngine: { enabled: false, url: null, token: null, timeoutMs: 750 },
      maxDeferMs: 86_400_000,
      parkAfterMs: 300_000,
      webhookUrl: null,
      notifyConcurrency: 4,
      maxNotificationsPerMatch: 5,
      notifyMaxAttempts: 20,
      retention: { maxAgeMs: 2_592_000_000, intervalMs: 3_600_000 },
      drainTimeoutMs: 25_000,
      discovery: { enabled: true, intervalMs: 5_000, batchSize: 500, overlapMs: 300_000 },
      tracing: null,
      logLevel: 'info',
      trimmedVariables: [],
    });
  });

  it('reads every variable', () => {
    const config = workerConfigFromEnv({
      ...BASE,
      POSTGRES_MAX_CONNS: '20',
      POSTGRES_PGBOUNCER: 'true',
      REDIS_URL: 'rediss://cache:6380',
      MODERATION_QUEUE_NAME: 'q',
      MODERATION_QUEUE_PREFIX: '{p}',
      MODERATION_WORKER_ADDR: '[::1]:9000',
      MODERATION_WORKER_CONCURRENCY: '8',
      MODERATION_WORKER_BATCH_SIZE: '4',
      RISK_ENGINE_URL: 'http://engine:8096/',
      RISK_ENGINE_TOKEN: 'secret',
      RISK_ENGINE_TIMEOUT: '1.5s',
      RISK_ANALYSIS_MAX_DEFER: '1h30m',
      RISK_ANALYSIS_PARK_AFTER: '90s',
      MODERATION_WEBHOOK_URL: 'https://discord.example/api/webhooks/1/abc',
      MODERATION_NOTIFY_CONCURRENCY: '2',
      MODERATION_MAX_NOTIFICATIONS_PER_MATCH: '12',
      MODERATION_NOTIFY_MAX_ATTEMPTS: '5',
      MODERATION_RETENTION_DAYS: '7',
      MODERATION_RETENTION_INTERVAL: '15m',
      MODERATION_DRAIN_TIMEOUT: '10s',
      MODERATION_DISCOVERY_ENABLED: 'false',
      MODERATION_DISCOVERY_INTERVAL: '250ms',
      MODERATION_DISCOVERY_BATCH_SIZE: '50',
      MODERATION_DISCOVERY_OVERLAP: '10m',
      LOG_LEVEL: 'DEBUG',
    });
    expect(config).toMatchObject({
      postgresMaxConns: 20,
      postgresPgbouncer: true,
      redisUrl: 'rediss://cache:6380',
      queueName: 'q',
      queuePrefix: '{p}',
      addr: { host: '::1', port: 9000 },
      concurrency: 8,
      batchSize: 4,
      maxDeferMs: 5_400_000,
      parkAfterMs: 90_000,
      webhookUrl: 'https://discord.example/api/webhooks/1/abc',
      notifyConcurrency: 2,
      maxNotificationsPerMatch: 12,
      notifyMaxAttempts: 5,
      retention: { maxAgeMs: 604_800_000, intervalMs: 900_000 },
      drainTimeoutMs: 10_000,
      discovery: { enabled: false, intervalMs: 250, batchSize: 50, overlapMs: 600_000 },
      logLevel: 'debug',
    });
    expect(config.riskEngine).toMatchObject({ enabled: true, url: 'http://engine:8096', timeoutMs: 1_500 });
    expect(config.riskEngine.token).toBe('secret');
  });

  const bad: Array<[string, string]> = [
    ['POSTGRES_URL', ''],
    ['POSTGRES_URL', 'mysql://db/x'],
    ['POSTGRES_MAX_CONNS', '0'],
    ['POSTGRES_MAX_CONNS', '1.5'],
    ['POSTGRES_PGBOUNCER', 'yes please'],
    ['REDIS_URL', 'localhost:6379'],
    ['REDIS_CLUSTER_NODES', 'redis-0:6379,'],
    ['REDIS_CLUSTER_NODES', 'redis-0'],
    ['REDIS_CLUSTER_NODES', 'redis-0:0'],
    ['REDIS_CLUSTER_NODES', 'redis-0:70000'],
    ['REDIS_CLUSTER_NODES', 'redis://redis-0:6379'],
    ['REDIS_SENTINELS', 'sentinel-0'],
    ['REDIS_SENTINEL_MASTER', 'mymaster'],
    ['MODERATION_QUEUE_NAME', 'a:b'],
    ['MODERATION_WORKER_ADDR', '8093'],
    ['MODERATION_WORKER_ADDR', ':99999'],
    ['MODERATION_WORKER_CONCURRENCY', '-1'],
    ['MODERATION_WORKER_BATCH_SIZE', '0'],
    ['RISK_ANALYSIS_MAX_DEFER', 'forever'],
    ['RISK_ANALYSIS_PARK_AFTER', '500ms'],
    ['RISK_ANALYSIS_PARK_AFTER', '25h'],
    ['RISK_ANALYSIS_PARK_AFTER', 'later'],
    ['MODERATION_WEBHOOK_URL', 'not a url'],
    ['MODERATION_NOTIFY_CONCURRENCY', 'x'],
    ['MODERATION_MAX_NOTIFICATIONS_PER_MATCH', '0'],
    ['MODERATION_MAX_NOTIFICATIONS_PER_MATCH', '101'],
    ['MODERATION_NOTIFY_MAX_ATTEMPTS', '0'],
    ['MODERATION_NOTIFY_MAX_ATTEMPTS', '1001'],
    ['MODERATION_RETENTION_DAYS', '0'],
    ['MODERATION_RETENTION_DAYS', '30d'],
    ['MODERATION_RETENTION_DAYS', '3651'],
    ['MODERATION_RETENTION_INTERVAL', '10s'],
    ['MODERATION_RETENTION_INTERVAL', '48h'],
    ['MODERATION_DRAIN_TIMEOUT', '30s'],
    ['MODERATION_DISCOVERY_ENABLED', 'sometimes'],
    ['MODERATION_DISCOVERY_INTERVAL', '5'],
    ['MODERATION_DISCOVERY_INTERVAL', '2h'],
    ['MODERATION_DISCOVERY_BATCH_SIZE', '0'],
    ['MODERATION_DISCOVERY_BATCH_SIZE', '20000'],
    ['MODERATION_DISCOVERY_OVERLAP', '500ms'],
    ['MODERATION_DISCOVERY_OVERLAP', 'a while'],
    ['LOG_LEVEL', 'loud'],
  ];
  for (const [variable, value] of bad) {
    it(`names ${variable} when it is "${value}"`, () => {
      const env = { ...BASE, [variable]: value };
      let caught: unknown;
      try {
        workerConfigFromEnv(env);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WorkerConfigError);
      expect(caught).toMatchObject({ variable });
      expect((caught as Error).message.startsWith(`${variable}: `)).toBe(true);
    });
  }

  it('refuses a park threshold longer than the maximum deferral, and lowers the default to it', () => {
    expect(() =>
      workerConfigFromEnv({ ...BASE, RISK_ANALYSIS_MAX_DEFER: '10m', RISK_ANALYSIS_PARK_AFTER: '11m' }),
    ).toThrow(/^RISK_ANALYSIS_PARK_AFTER: must not be longer than RISK_ANALYSIS_MAX_DEFER/);
    expect(workerConfigFromEnv({ ...BASE, RISK_ANALYSIS_MAX_DEFER: '2m' }).parkAfterMs).toBe(120_000);
  });

  it('names the bounds of the retention, dead-letter and report variables', () => {
    expect(() => workerConfigFromEnv({ ...BASE, MODERATION_RETENTION_DAYS: '0' })).toThrow(
      'MODERATION_RETENTION_DAYS: must be between 1 and 3650',
    );
    expect(() => workerConfigFromEnv({ ...BASE, MODERATION_RETENTION_INTERVAL: '10s' })).toThrow(
      'MODERATION_RETENTION_INTERVAL: must be between 60000 ms and 86400000 ms (got "10s")',
    );
    expect(() => workerConfigFromEnv({ ...BASE, MODERATION_NOTIFY_MAX_ATTEMPTS: '0' })).toThrow(
      'MODERATION_NOTIFY_MAX_ATTEMPTS: must be between 1 and 1000',
    );
    expect(reportRateLimitFromEnv({})).toEqual({ maxReports: 10, windowMs: 3_600_000 });
    expect(
      reportRateLimitFromEnv({ MODERATION_REPORT_RATE_LIMIT: '3', MODERATION_REPORT_RATE_WINDOW: '24h' }),
    ).toEqual({ maxReports: 3, windowMs: 86_400_000 });
    expect(() => reportRateLimitFromEnv({ MODERATION_REPORT_RATE_LIMIT: '1001' })).toThrow(
      'MODERATION_REPORT_RATE_LIMIT: must be between 1 and 1000',
    );
    expect(() => reportRateLimitFromEnv({ MODERATION_REPORT_RATE_WINDOW: '8d' })).toThrow(
      /^MODERATION_REPORT_RATE_WINDOW: /,
    );
  });

  it('reads REDIS_CLUSTER_NODES as seed nodes, credentials and TLS staying in REDIS_URL', () => {
    const config = workerConfigFromEnv({
      ...BASE,
      REDIS_URL: 'rediss://:pw@ignored:6379',
      REDIS_CLUSTER_NODES: ' redis-0.redis:6379, 10.0.0.7:7001 ,[::1]:7002',
    });
    expect(config.redisUrl).toBe('rediss://:pw@ignored:6379');
    expect(config.redisCluster).toEqual({
      nodes: [
        { host: 'redis-0.redis', port: 6379 },
        { host: '10.0.0.7', port: 7001 },
        { host: '::1', port: 7002 },
      ],
    });
  });

  it('names the bad REDIS_CLUSTER_NODES entry and its position, and refuses a database on a cluster', () => {
    expect(() => workerConfigFromEnv({ ...BASE, REDIS_CLUSTER_NODES: 'a:1,b' })).toThrow(
      'REDIS_CLUSTER_NODES: entry 2 ("b") must look like host:port with a port between 1 and 65535',
    );
    expect(() => workerConfigFromEnv({ ...BASE, REDIS_CLUSTER_NODES: 'rediss://a:1' })).toThrow(
      /entry 1 \("rediss:\/\/a:1"\) must be host:port, not a URL: the password and TLS \(rediss:\) come from REDIS_URL/,
    );
    expect(() =>
      workerConfigFromEnv({ ...BASE, REDIS_URL: 'redis://h:6379/2', REDIS_CLUSTER_NODES: 'a:1' }),
    ).toThrow(/^REDIS_URL: selects database 2, but Redis Cluster has only database 0/);
    // Without a cluster a database in REDIS_URL stays valid.
    expect(workerConfigFromEnv({ ...BASE, REDIS_URL: 'redis://h:6379/2' }).redisCluster).toBeNull();
  });

  it('reads REDIS_SENTINELS and REDIS_SENTINEL_MASTER, and refuses one without the other or beside a cluster', () => {
    expect(
      workerConfigFromEnv({
        ...BASE,
        REDIS_SENTINELS: 'sentinel-0:26379, sentinel-1:26379',
        REDIS_SENTINEL_MASTER: 'mymaster',
      }).redisSentinel,
    ).toEqual({
      nodes: [
        { host: 'sentinel-0', port: 26379 },
        { host: 'sentinel-1', port: 26379 },
      ],
      masterName: 'mymaster',
    });
    expect(() => workerConfigFromEnv({ ...BASE, REDIS_SENTINELS: 's:26379' })).toThrow(
      /^REDIS_SENTINEL_MASTER: is required with REDIS_SENTINELS/,
    );
    expect(() => workerConfigFromEnv({ ...BASE, REDIS_SENTINEL_MASTER: 'mymaster' })).toThrow(
      /^REDIS_SENTINEL_MASTER: is set but REDIS_SENTINELS/,
    );
    expect(() =>
      workerConfigFromEnv({
        ...BASE,
        REDIS_SENTINELS: 's:26379',
        REDIS_SENTINEL_MASTER: 'm',
        REDIS_CLUSTER_NODES: 'c:6379',
      }),
    ).toThrow(/^REDIS_SENTINELS: cannot be combined with REDIS_CLUSTER_NODES/);
  });

  it('lets the client name its own variables', () => {
    expect(() => workerConfigFromEnv({ ...BASE, RISK_ENGINE_TIMEOUT: 'soon' })).toThrow(
      expect.objectContaining({ variable: 'RISK_ENGINE_TIMEOUT' }),
    );
  });

  it('trims the engine variables as production does and names the ones it trimmed', () => {
    const config = workerConfigFromEnv({
      ...BASE,
      RISK_ENGINE_URL: ' http://engine:8096/\n',
      RISK_ENGINE_TOKEN: 'tok-123\r\n',
      RISK_ENGINE_TIMEOUT: '\t2s ',
    });
    expect(config.riskEngine).toMatchObject({ enabled: true, url: 'http://engine:8096', timeoutMs: 2_000 });
    expect(config.riskEngine.token).toBe('tok-123');
    expect(config.trimmedVariables).toEqual(['RISK_ENGINE_URL', 'RISK_ENGINE_TOKEN', 'RISK_ENGINE_TIMEOUT']);
  });

  it('runs with the engine disabled when RISK_ENGINE_URL is only whitespace', () => {
    const config = workerConfigFromEnv({ ...BASE, RISK_ENGINE_URL: '  \n' });
    expect(config.riskEngine).toMatchObject({ enabled: false, url: null });
    expect(config.trimmedVariables).toEqual(['RISK_ENGINE_URL']);
  });

  it('names no variable when nothing needed trimming', () => {
    const config = workerConfigFromEnv({
      ...BASE,
      RISK_ENGINE_URL: 'http://e',
      RISK_ENGINE_TOKEN: 'tok-123',
    });
    expect(config.trimmedVariables).toEqual([]);
  });

  it('keeps a malformed RISK_ENGINE_TIMEOUT a named startup error, trimmed or not', () => {
    for (const value of ['soon', ' 750 ', '0s\n']) {
      expect(() => workerConfigFromEnv({ ...BASE, RISK_ENGINE_TIMEOUT: value }), value).toThrow(
        expect.objectContaining({ name: 'ConfigError', variable: 'RISK_ENGINE_TIMEOUT' }),
      );
    }
  });

  it('never shows the engine token or the webhook URL secret when serialised', () => {
    const config = workerConfigFromEnv({
      ...BASE,
      RISK_ENGINE_URL: 'http://e',
      RISK_ENGINE_TOKEN: 'tok-123',
    });
    expect(JSON.stringify(config)).not.toContain('tok-123');
  });

  it('lists trimmed variables by name only, never the token', () => {
    const config = workerConfigFromEnv({
      ...BASE,
      RISK_ENGINE_URL: 'http://e',
      RISK_ENGINE_TOKEN: ' tok-123 ',
    });
    expect(config.trimmedVariables).toEqual(['RISK_ENGINE_TOKEN']);
    expect(JSON.stringify(config)).not.toContain('tok-123');
  });
});
