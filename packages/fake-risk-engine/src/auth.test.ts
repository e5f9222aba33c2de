import * as crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBearerCheck } from './auth.js';
import { type FakeRiskEngine, startFakeRiskEngine } from './index.js';
import { typicalMatch } from './test-support/facts.js';
import { send, testAgent } from './test-support/http.js';

// Spy on the real timingSafeEqual (still called through) to prove the check goes through it.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const TOKEN = 'correct-horse-battery';
const agent = testAgent();
let engine: FakeRiskEngine;

beforeAll(async () => {
  engine = await startFakeRiskEngine({ token: TOKEN });
});
afterAll(async () => {
  await engine.stop();
  await agent.close();
});

const analyze = (headers: Record<string, string>) =>
  send(`${engine.url}/v1/analyze`, { body: typicalMatch(), headers, dispatcher: agent });

describe('bearer token check', () => {
  it('refuses a request without a token with a JSON 401', async () => {
    const reply = await analyze({});
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe('Bearer');
    expect(reply.json()).toMatchObject({ code: 'unauthorized', reason: 'missing_token' });
  });

  it('refuses a wrong token of the same length and of other lengths', async () => {
    for (const wrong of ['correct-horse-batterz', 'short', `${TOKEN}-and-more`, '']) {
      const reply = await analyze({ authorization: `Bearer ${wrong}` });
      expect(reply.status, wrong).toBe(401);
    }
  });

  it('accepts the right token, with any case of the scheme', async () => {
    expect((await analyze({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await analyze({ authorization: `bearer ${TOKEN}` })).status).toBe(200);
    expect((await analyze({ authorization: `Basic ${TOKEN}` })).status).toBe(401);
  });

  it('compares equal-length digests with timingSafeEqual whatever the token length', () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    const check = createBearerCheck(TOKEN);
    expect(check(`Bearer ${TOKEN}`)).toBeNull();
    expect(check('Bearer x')).toBe('invalid_token');
    expect(check(`Bearer ${'y'.repeat(TOKEN.length)}`)).toBe('invalid_token');
    expect(check(`Bearer ${'z'.repeat(5000)}`)).toBe('invalid_token');
    expect(spy).toHaveBeenCalledTimes(4);
    for (const [a, b] of spy.mock.calls) {
      expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
    }
  });

  it('lets health checks through without a token', async () => {
    for (const path of ['/health', '/health/live', '/health/ready']) {
      const reply = await send(`${engine.url}${path}`, { dispatcher: agent });
      expect(reply.status, path).toBe(200);
      expect(reply.json()).toEqual({ status: 'ok', detectorVersion: 'fake-1.0.0' });
    }
  });

  it('guards every /v1 path, known or not', async () => {
    expect((await send(`${engine.url}/v1/other`, { dispatcher: agent })).status).toBe(401);
    expect((await send(`${engine.url}/v1/other`, { dispatcher: agent, token: TOKEN })).status).toBe(404);
  });
});
