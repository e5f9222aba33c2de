import { createTempDatabase, REDIS_URL, type TempDatabase, uniquePrefix } from '@geoduels/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerConfigFromEnv } from './config.js';
import { run } from './main.js';
import { captureLogger } from './test-support/worker-harness.js';

const TOKEN = 'tok-Trimmed-Secret-4711';
const WARNING = 'surrounding whitespace trimmed from environment variables; fix them at their source';

let temp: TempDatabase;

beforeAll(async () => {
  // No schema: the worker starts, logs and stays not ready, which is all these tests need.
  temp = await createTempDatabase('trimmed');
});
afterAll(async () => {
  await temp.drop();
});

/** Starts and stops a real worker process with `engineEnv`; returns what it logged. */
async function logsOfRunWith(engineEnv: Record<string, string>) {
  const log = captureLogger('debug');
  const config = workerConfigFromEnv({
    POSTGRES_URL: temp.url,
    REDIS_URL,
    MODERATION_QUEUE_PREFIX: uniquePrefix('trimmed'),
    MODERATION_WORKER_ADDR: '127.0.0.1:0',
    ...engineEnv,
  });
  const worker = await run(config, { logger: log.logger, probeIntervalMs: 50 });
  await worker.stop();
  return log;
}

describe('the start-up warning about trimmed variables', () => {
  it('is logged once, naming the trimmed variables and never the token', async () => {
    const log = await logsOfRunWith({
      RISK_ENGINE_URL: ' \n',
      RISK_ENGINE_TOKEN: `${TOKEN}\n`,
      RISK_ENGINE_TIMEOUT: ' 2s ',
    });
    const warnings = log.lines().filter((line) => line.msg === WARNING);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 40,
      variables: ['RISK_ENGINE_URL', 'RISK_ENGINE_TOKEN', 'RISK_ENGINE_TIMEOUT'],
    });
    expect(log.text()).not.toContain(TOKEN);
    expect(log.lines().some((line) => line.msg === 'moderation worker started')).toBe(true);
  });

  it('is not logged when no variable needed trimming', async () => {
    const log = await logsOfRunWith({ RISK_ENGINE_TOKEN: TOKEN, RISK_ENGINE_TIMEOUT: '2s' });
    expect(log.lines().filter((line) => line.msg === WARNING)).toEqual([]);
    expect(log.lines().some((line) => line.msg === 'moderation worker started')).toBe(true);
    expect(log.text()).not.toContain(TOKEN);
  });
});
