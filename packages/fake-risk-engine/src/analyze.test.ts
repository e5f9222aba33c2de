import { connect } from 'node:net';
import { analyzeResponseSchema } from '@geoduels/risk-client/signals';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeRiskEngine, MAX_BODY_BYTES, startFakeRiskEngine } from './index.js';
import { ALICE, analyzeRequest, history, typicalMatch } from './test-support/facts.js';
import { send, testAgent } from './test-support/http.js';

const agent = testAgent();
let engine: FakeRiskEngine;

beforeAll(async () => {
  engine = await startFakeRiskEngine();
});
afterAll(async () => {
  await engine.stop();
  await agent.close();
});

const analyze = (body: unknown, headers?: Record<string, string>) =>
  send(`${engine.url}/v1/analyze`, { body, headers, dispatcher: agent });

describe('POST /v1/analyze', () => {
  it('answers a valid request with the detector version, facts version and signals', async () => {
    const reply = await analyze(typicalMatch(), { 'x-request-id': 'req-1' });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-request-id']).toBe('req-1');
    const body = analyzeResponseSchema.parse(reply.json());
    expect(body.detectorVersion).toBe('fake-1.0.0');
    expect(body.factsVersion).toBe('match-facts/2026-01');
    expect(body.signals).toHaveLength(3);
  });

  it('names the first invalid field of a bad body in a 400', async () => {
    const events = history(2);
    events[1] = { ...events[1]!, occurredAt: 'yesterday' };
    const cases: Array<[unknown, string]> = [
      [{ ...typicalMatch(), matchId: 'not-a-uuid' }, 'matchId'],
      [{ ...typicalMatch(), factsVersion: 'match-facts/1999' }, 'factsVersion'],
      [analyzeRequest([]), 'players'],
      [analyzeRequest([{ userId: ALICE, events }]), 'players[0].events[1].occurredAt'],
      [analyzeRequest([{ userId: ALICE, currentRating: 1.5, events: [] }]), 'players[0].currentRating'],
      [[1, 2], '$'],
    ];
    for (const [body, field] of cases) {
      const reply = await analyze(body);
      expect(reply.status, field).toBe(400);
      expect(reply.json(), field).toMatchObject({
        code: 'invalid_request',
        field,
        detail: expect.any(String),
        error: expect.stringContaining(`invalid ${field}: `),
      });
    }
  });

  it('answers 400 to a body that is not JSON and 415 to one that is not declared as JSON', async () => {
    expect((await analyze('{"matchId":')).json()).toMatchObject({ code: 'invalid_json', field: '$' });
    const plain = await analyze(JSON.stringify(typicalMatch()), { 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
  });

  it('refuses a body over 1 MiB with 413, whether or not content-length announces it', async () => {
    const big = JSON.stringify({ ...typicalMatch(), requestId: 'x'.repeat(MAX_BODY_BYTES) });
    expect((await analyze(big)).status).toBe(413);
    expect(await rawChunkedStatus(big)).toBe(413);
  });

  it('accepts a body of exactly 1 MiB (and rejects it only for its content)', async () => {
    const base = JSON.stringify({ ...typicalMatch(), requestId: '' });
    const exact = base.replace('"requestId":""', `"requestId":"${'x'.repeat(MAX_BODY_BYTES - base.length)}"`);
    expect(Buffer.byteLength(exact)).toBe(MAX_BODY_BYTES);
    const reply = await analyze(exact);
    expect(reply.json()).toMatchObject({ code: 'invalid_request', field: 'requestId' });
  });
});

describe('routing', () => {
  it('answers 404 to unknown paths and 405 with Allow to wrong methods', async () => {
    expect((await send(`${engine.url}/v2/analyze`, { dispatcher: agent })).status).toBe(404);
    expect((await send(`${engine.url}/__control/faults`, { dispatcher: agent })).status).toBe(404);
    const get = await send(`${engine.url}/v1/analyze`, { dispatcher: agent });
    expect([get.status, get.headers['allow']]).toEqual([405, 'POST']);
    const post = await send(`${engine.url}/health`, { method: 'POST', body: '{}', dispatcher: agent });
    expect([post.status, post.headers['allow']]).toEqual([405, 'GET, HEAD']);
  });
});

// Sends a chunked body (no content-length) over a raw socket and returns the status code.
function rawChunkedStatus(body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(engine.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', reject);
    socket.write(
      'POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const bytes = Buffer.from(body);
    for (let i = 0; i < bytes.length && !socket.destroyed; i += 65536) {
      const part = bytes.subarray(i, i + 65536);
      socket.write(`${part.length.toString(16)}\r\n`);
      socket.write(part);
      socket.write('\r\n');
    }
    if (!socket.destroyed) socket.write('0\r\n\r\n');
  });
}
