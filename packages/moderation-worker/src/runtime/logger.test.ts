import { hostname } from 'node:os';
import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { describe, expect, it } from 'vitest';
import { closedPort } from '../test-support/closed-port.js';
import { createLogger } from './logger.js';
import { createWorkerRedis } from './redis.js';

/** A logger writing into `lines`, one parsed object per JSON line. */
function capturingLogger(level: 'debug' | 'info' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger(level, sink as unknown as DestinationStream) };
}

class CodedError extends Error {
  override readonly name = 'CodedError';
  constructor(message: string) {
    super(message);
    // A code that is not an own enumerable property, as some libraries define it.
    Object.defineProperty(this, 'code', { value: 'E_CODED', enumerable: false });
  }
}

describe('the process logger', () => {
  it('writes pid, hostname and service on every line', () => {
    const { lines, logger } = capturingLogger();
    logger.info({ matchId: 'm' }, 'hello');
    expect(lines[0]).toMatchObject({
      level: 30,
      pid: process.pid,
      hostname: hostname(),
      service: 'moderation-worker',
      matchId: 'm',
      msg: 'hello',
    });
  });

  it('serialises an `err` with its type, message, stack and code, even a code that is not enumerable', () => {
    const { lines, logger } = capturingLogger();
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    logger.error({ err: cause }, 'plain');
    logger.error({ err: new CodedError('hidden code') }, 'coded');
    expect(lines[0]?.err).toMatchObject({
      type: 'Error',
      message: 'connect ECONNREFUSED 127.0.0.1:1',
      code: 'ECONNREFUSED',
      stack: expect.stringContaining('logger.test.ts'),
    });
    expect(lines[1]?.err).toMatchObject({
      type: 'CodedError',
      message: 'hidden code',
      code: 'E_CODED',
      stack: expect.stringMatching(/^CodedError: hidden code\n +at /),
    });
  });

  it('logs a lost Redis connection at debug (readiness logs the outage) with the socket error’s stack and code', async () => {
    const { lines, logger } = capturingLogger('debug');
    const redis = createWorkerRedis(
      { redisUrl: `redis://127.0.0.1:${await closedPort()}`, redisCluster: null },
      'probe',
      logger,
    );
    try {
      await expect.poll(() => lines.length, { timeout: 5_000 }).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
    expect(lines[0]).toMatchObject({
      level: 20,
      role: 'probe',
      msg: 'redis connection lost; reconnecting',
      err: {
        code: 'ECONNREFUSED',
        message: expect.stringContaining('ECONNREFUSED'),
        stack: expect.stringContaining('ECONNREFUSED'),
      },
    });
  });
});
