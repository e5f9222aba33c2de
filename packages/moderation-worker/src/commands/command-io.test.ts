import { ConfigError } from '@geoduels/risk-client';
import { describe, expect, it } from 'vitest';
import { WorkerConfigError } from '../errors.js';
import { captureOutput } from '../test-support/output.js';
import { defineCommand, EXIT, failure, readConfig, usageError } from './command-io.js';

const TOKEN = 'kit-token-must-stay-hidden';
const ENV = { RISK_ENGINE_TOKEN: TOKEN, POSTGRES_URL: 'postgres://mod:kit-password-hidden@127.0.0.1/db' };

/** A command whose body is `body`, for exercising what the kit adds around it. */
function commandWith(body: Parameters<typeof defineCommand>[0]['run']) {
  return defineCommand({
    name: 'demo',
    synopsis: '',
    summary: 'a test command',
    usage: 'Usage: demo\n',
    run: body,
  });
}

describe('the command kit', () => {
  it('redacts the configured secrets from everything a command writes, on both streams', async () => {
    const command = commandWith(async (_argv, _env, io) => {
      io.stdout.write(`token ${TOKEN}\n`);
      io.stderr.write(`url ${ENV.POSTGRES_URL}\n`);
      return EXIT.ok;
    });
    const { out, output } = captureOutput();
    expect(await command.run([], ENV, output)).toBe(0);
    expect(out.stdout).toBe('token [redacted]\n');
    expect(out.stderr).toBe('url postgres://mod:[redacted]@127.0.0.1/db\n');
  });

  it('ends an unexpected error with a redacted failure line naming the command, exit 1', async () => {
    const command = commandWith(async () => {
      throw new Error(`the driver said ${TOKEN}`);
    });
    const { out, output } = captureOutput();
    expect(await command.run([], ENV, output)).toBe(1);
    expect(out.stderr).toBe('moderation-worker demo: the driver said [redacted]\n');
  });

  it('writes usage errors and failures in one form: exit 2 with the usage, exit 1 without', async () => {
    const usage = captureOutput();
    expect(
      await commandWith(async (_a, _e, io) => usageError(io, 'bad flag', 'Usage: demo\n')).run(
        [],
        {},
        usage.output,
      ),
    ).toBe(2);
    expect(usage.out.stderr).toBe('moderation-worker demo: bad flag\n\nUsage: demo\n');

    const failed = captureOutput();
    expect(
      await commandWith(async (_a, _e, io) => failure(io, 'Redis down')).run([], {}, failed.output),
    ).toBe(1);
    expect(failed.out.stderr).toBe('moderation-worker demo: Redis down\n');
  });

  it('turns the worker’s and the client’s configuration errors into a usage error naming the variable', async () => {
    for (const error of [
      new WorkerConfigError('POSTGRES_MAX_CONNS', 'must be a whole number (got "lots")'),
      new ConfigError('RISK_ENGINE_URL', 'not_a_url', 'is not a valid URL'),
    ]) {
      const { out, output } = captureOutput();
      const code = await commandWith(async (_a, _e, io) => {
        const value = readConfig(io, (): string => {
          throw error;
        });
        return typeof value === 'number' ? value : EXIT.ok;
      }).run([], {}, output);
      expect(code).toBe(2);
      expect(out.stderr).toBe(`moderation-worker demo: invalid configuration: ${error.message}\n`);
    }
  });

  it('does not take other errors for configuration errors', async () => {
    const { out, output } = captureOutput();
    const code = await commandWith(async (_a, _e, io) => {
      readConfig(io, (): string => {
        throw new TypeError('a bug');
      });
      return EXIT.ok;
    }).run([], {}, output);
    expect(code).toBe(1);
    expect(out.stderr).toBe('moderation-worker demo: a bug\n');
  });
});
