import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllProcesses } from './processes.js';
import { startWorker } from './worker-process.js';

let dir: string;
let cli: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gd-ts-worker-'));
  cli = join(dir, 'stand-in-cli.mjs');
  // Announces itself the way the worker does, then exits without ever becoming ready.
  await writeFile(
    cli,
    `console.log(JSON.stringify({ msg: 'moderation worker started', port: 1, argv: process.argv.slice(2),
       execArgv: process.execArgv, addr: process.env.MODERATION_WORKER_ADDR, extra: process.env.EXTRA }));
     setTimeout(() => process.exit(3), 300);`,
  );
});

afterAll(async () => {
  await stopAllProcesses();
  await rm(dir, { recursive: true, force: true });
});

describe('worker process launcher', () => {
  it('runs the given CLI with its node flags, the run command, port 0 and the given environment', async () => {
    const worker = await startWorker({ EXTRA: 'yes' }, 'stand-in', { cli, nodeArgs: ['--no-warnings'] });
    const [started] = worker.logs.lines;
    expect(started).toMatchObject({
      argv: ['run'],
      execArgv: ['--no-warnings'],
      addr: '127.0.0.1:0',
      extra: 'yes',
    });
    expect(worker.baseUrl).toBe('http://127.0.0.1:1');
    await worker.exited;
  });

  it('stops waiting for readiness as soon as the process exits, naming how it ended', async () => {
    const worker = await startWorker({}, 'stand-in', { cli });
    const startedAt = Date.now();
    await expect(worker.waitReady(20_000)).rejects.toThrow(/stand-in exited \(\{"code":3,"signal":null\}\)/);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });
});
