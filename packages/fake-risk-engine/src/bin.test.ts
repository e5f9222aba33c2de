import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { send, testAgent } from './test-support/http.js';

// The bin is tested as built (`npm test` builds first), exactly as the container runs it.
const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLog = async () => JSON.parse((await lines.next()).value as string) as Record<string, unknown>;
  return { child, nextLog };
}

describe('fake-risk-engine process', () => {
  it('is built before its tests run (npm test builds first)', () => {
    expect(existsSync(BIN)).toBe(true);
  });

  it('logs its port as JSON, answers health and analyses, and exits 0 on SIGTERM', async () => {
    const { child, nextLog } = start({
      PORT: '0',
      FAKE_RISK_ENGINE_TOKEN: 'bin-secret',
      FAKE_RISK_ENGINE_LOG_REQUESTS: '1',
    });
    const listening = await nextLog();
    expect(listening).toMatchObject({
      level: 'info',
      msg: 'listening',
      detectorVersion: 'fake-1.0.0',
      auth: true,
    });
    expect(JSON.stringify(listening)).not.toContain('bin-secret');
    const url = `http://127.0.0.1:${listening['port']}`;
    const agent = testAgent();
    expect((await send(`${url}/health`, { dispatcher: agent })).status).toBe(200);
    expect(await nextLog()).toMatchObject({ msg: 'request', method: 'GET', path: '/health', status: 200 });
    expect((await send(`${url}/v1/analyze`, { body: {}, dispatcher: agent })).status).toBe(401);
    expect(await nextLog()).toMatchObject({ msg: 'request', path: '/v1/analyze', status: 401 });
    await agent.close();
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
  });

  it('refuses to start on a malformed variable, naming it', async () => {
    const { child, nextLog } = start({ FAKE_RISK_ENGINE_ADDR: 'nowhere' });
    const exited = once(child, 'exit');
    expect(await nextLog()).toMatchObject({ level: 'error', variable: 'FAKE_RISK_ENGINE_ADDR' });
    expect(await exited).toEqual([2, null]);
  });
});
