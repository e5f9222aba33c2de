import { describe, expect, it } from 'vitest';
import { closedPort } from '../test-support/closed-port.js';
import { captureOutput } from '../test-support/output.js';
import { backfillCommand } from './backfill-command.js';

describe('moderation-worker backfill', () => {
  it('rejects an unknown status, a bad time and an unknown flag with exit 2 and the usage', async () => {
    for (const [argv, message] of [
      [['--status', 'deferred,lost'], '--status: unknown status lost'],
      [['--since', 'yesterday'], '--since: "yesterday" is not a time'],
      [['--until', 'now'], "Unknown option '--until'"],
    ] as const) {
      const { out, output } = captureOutput();
      expect(await backfillCommand.run([...argv], {}, output)).toBe(2);
      expect(out.stderr).toContain(`moderation-worker backfill: ${message}`);
      expect(out.stderr).toContain('Usage: moderation-worker backfill');
    }
  });

  it('requires POSTGRES_URL, naming it, with exit 2', async () => {
    const { out, output } = captureOutput();
    expect(await backfillCommand.run([], {}, output)).toBe(2);
    expect(out.stderr).toBe('moderation-worker backfill: invalid configuration: POSTGRES_URL: is required\n');
  });

  it('fails with exit 1 naming the address when Redis is unreachable', async () => {
    const port = await closedPort();
    const { out, output } = captureOutput();
    const env = {
      POSTGRES_URL: 'postgres://postgres@127.0.0.1:5432/unused',
      REDIS_URL: `redis://127.0.0.1:${port}`,
    };
    expect(await backfillCommand.run([], env, output)).toBe(1);
    expect(out.stderr).toMatch(
      new RegExp(`^moderation-worker backfill: Redis at 127\\.0\\.0\\.1:${port} unreachable`),
    );
  });
});
