import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { send, testAgent } from './test-support/http.js';

// The bin is tested as built (`npm test` builds first), exactly as the container runs it.
const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
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

  it('refuses to start on a malformed variable with one prefixed line naming it, exit 2', async () => {
    const result = await runToEnd([], { FAKE_RISK_ENGINE_ADDR: 'nowhere' });
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'fake-risk-engine: invalid configuration: FAKE_RISK_ENGINE_ADDR: "nowhere" is not ":port" or "host:port"\n',
    });
  });

  it('answers --version and -V with the version of its package.json, and logs it on start', async () => {
    for (const flag of ['--version', '-V']) {
      expect(await runToEnd([flag])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    }
    const { nextLog } = start({ PORT: '0' });
    expect(await nextLog()).toMatchObject({ msg: 'listening', version: VERSION });
  });

  it('prints its usage for --help and rejects any other argument with exit 2, naming it', async () => {
    const help = await runToEnd(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: fake-risk-engine \[--version\] \[--help\]/);

    const bad = await runToEnd(['--port', '80']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^fake-risk-engine: unknown argument "--port"\n\nUsage: fake-risk-engine/);
  });

  it('exits 1 with one prefixed line naming the address when it cannot listen', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await runToEnd([], { FAKE_RISK_ENGINE_ADDR: `127.0.0.1:${port}` });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(`^fake-risk-engine: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*\\n$`),
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

/** Runs the bin to its exit with `args` and exactly `env` (plus PATH). */
function runToEnd(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env['PATH'] ?? '', ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
