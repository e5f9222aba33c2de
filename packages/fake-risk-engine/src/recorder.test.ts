import { afterAll, describe, expect, it } from 'vitest';
import { startFakeRiskEngine } from './index.js';
import { typicalMatch } from './test-support/facts.js';
import { send, testAgent } from './test-support/http.js';

const agent = testAgent();
afterAll(() => agent.close());

describe('request recording', () => {
  it('keeps method, path, headers with the token masked, the parsed body and the time', async () => {
    const engine = await startFakeRiskEngine({ token: 'hunter2' });
    try {
      const before = new Date();
      await send(`${engine.url}/v1/analyze?x=1`, {
        body: typicalMatch(),
        token: 'hunter2',
        headers: { 'x-request-id': 'r-9' },
        dispatcher: agent,
      });
      await send(`${engine.url}/v1/analyze`, { body: 'not json', dispatcher: agent });
      const [first, second] = engine.requests();
      expect(first).toMatchObject({ method: 'POST', path: '/v1/analyze', body: typicalMatch() });
      expect(first!.headers).toMatchObject({ authorization: 'Bearer ***', 'x-request-id': 'r-9' });
      expect(JSON.stringify(engine.requests())).not.toContain('hunter2');
      expect(first!.receivedAt.getTime()).toBeGreaterThanOrEqual(before.getTime());
      expect(second!.body).toBeUndefined();
      expect(engine.requestCount()).toBe(2);
      engine.reset();
      expect([engine.requests(), engine.requestCount()]).toEqual([[], 0]);
    } finally {
      await engine.stop();
    }
  });

  it('keeps only the newest requests up to the limit, and only the count when recording is off', async () => {
    const bounded = await startFakeRiskEngine({ recordLimit: 3 });
    const counting = await startFakeRiskEngine({ record: false });
    try {
      for (let i = 0; i < 7; i++) {
        const body = { ...typicalMatch(), requestId: `r${i}` };
        await send(`${bounded.url}/v1/analyze`, { body, dispatcher: agent });
        await send(`${counting.url}/v1/analyze`, { body, dispatcher: agent });
      }
      expect(bounded.requests().map((r) => (r.body as { requestId: string }).requestId)).toEqual([
        'r4',
        'r5',
        'r6',
      ]);
      expect(bounded.requestCount()).toBe(7);
      expect(counting.requests()).toEqual([]);
      expect(counting.requestCount()).toBe(7);
    } finally {
      await bounded.stop();
      await counting.stop();
    }
  });
});
