// The built bin (dist/cli.js) as an operator runs it: version, usage, dispatch, one error form.
import { readFileSync } from 'node:fs';
import { runWorkerCli, startPrivateRedis, uniquePrefix } from '@geoduels/test-support';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

async function cli(args: string[], env: Record<string, string> = {}) {
  const run = await runWorkerCli(args, env);
  return { code: run.exit.code, stdout: run.logs.textOf('stdout'), stderr: run.logs.textOf('stderr') };
}

describe('the moderation-worker bin', () => {
  it('answers --version and -V with the version of its package.json', async () => {
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ['--version', '-V']) {
      expect(await cli([flag])).toEqual({ code: 0, stdout: VERSION, stderr: '' });
    }
  });

  it('lists every command in its usage, summaries in one column, and names --version', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ +moderation-worker --version$/m);
    const commands = stdout.split('\n').filter((line) => /^ {2}[a-z]/.test(line));
    expect(commands.map((line) => line.trim().split(' ')[0])).toEqual([
      'run',
      'migrate',
      'enqueue',
      'backfill',
      'report',
      'check',
      'queue',
    ]);
    const column = (line: string) => line.search(/\S+( \S+)*$/);
    expect(new Set(commands.map(column)).size).toBe(1);
    expect(stdout).toMatch(/^ {2}queue pause\|resume\|status\|failed\|retry\|clean {2,}\S/m);
  });

  it('rejects an unknown command with exit 2 in the bin’s one error form', async () => {
    const { code, stderr } = await cli(['--versoin']);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe('moderation-worker: unknown command "--versoin"');
  });

  it('prints BullMQ’s console warnings in the command’s error form on stderr, keeping stdout clean', async () => {
    const evicting = await startPrivateRedis({ persistent: false });
    try {
      const admin = new Redis(evicting.url);
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      admin.disconnect();
      const prefix = uniquePrefix('cli-bullmq');
      const { code, stdout, stderr } = await cli(['queue', 'failed', '--json'], {
        REDIS_URL: evicting.url,
        MODERATION_QUEUE_PREFIX: prefix,
      });
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual({ queue: `${prefix}:moderation.risk-analysis`, total: 0, jobs: [] });
      expect(stderr).toBe(
        'moderation-worker queue: warning: BullMQ: IMPORTANT! Eviction policy is allkeys-lru. It should be "noeviction"',
      );
    } finally {
      await evicting.destroy();
    }
  });
});
