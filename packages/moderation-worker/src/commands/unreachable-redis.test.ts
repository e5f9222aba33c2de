// Every operator command that needs Redis, against a Redis that refuses connections and against one
// that accepts them and never answers: each fails within a bound, naming the address, never the password.
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { PG_ADMIN_URL, runWorkerCli } from '@geoduels/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../test-support/closed-port.js';
import { captureOutput } from '../test-support/output.js';
import { backfillCommand } from './backfill-command.js';
import { checkCommand } from './check-command.js';
import type { Command } from './command-io.js';
import { enqueueCommand } from './enqueue-command.js';
import { OPERATOR_REDIS_TIMEOUT_MS } from './operator-queue.js';
import { queueCommand } from './queue-command.js';

const PASSWORD = 'redis-pass-never-printed';
const MATCH = '6d1f4a52-0c6f-4c77-9d5e-0b7a3f0c2a11';
/** The bound each command must fail within: the operator connection's own, plus a margin for a loaded machine. */
const BOUND_MS = OPERATOR_REDIS_TIMEOUT_MS + 2_000;

let silent: Server;
const sockets = new Set<Socket>();
let silentPort: number;
let refusedPort: number;

beforeAll(async () => {
  // Accepts every connection and never writes a byte: a frozen Redis, or a proxy with nothing behind it.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  silentPort = (silent.address() as { port: number }).port;
  refusedPort = await closedPort();
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

const COMMANDS: Array<[string, Command, string[]]> = [
  ['enqueue', enqueueCommand, [MATCH]],
  ['backfill', backfillCommand, []],
  ['queue pause', queueCommand, ['pause']],
  ['queue resume', queueCommand, ['resume']],
  ['queue status', queueCommand, ['status']],
  ['queue failed', queueCommand, ['failed', '--json']],
  ['queue retry', queueCommand, ['retry', MATCH]],
  ['queue retry --all-failed', queueCommand, ['retry', '--all-failed', '--yes']],
  ['queue clean', queueCommand, ['clean', '--failed', '--older-than', '1h', '--yes']],
];

function env(port: number): NodeJS.ProcessEnv {
  return { REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}`, POSTGRES_URL: PG_ADMIN_URL };
}

// Concurrent: each command mostly waits out its bound against the silent port.
describe.concurrent.each([
  ['refuses connections', () => refusedPort],
  ['accepts connections and never answers', () => silentPort],
])('a Redis that %s', (_label, port) => {
  it.each(COMMANDS)(
    'fails %s within the bound, naming the address and not the password',
    async (name, command, argv) => {
      const { out, output } = captureOutput();
      const started = performance.now();
      const code = await command.run(argv, env(port()), output);
      const elapsed = performance.now() - started;

      expect(code).toBe(1);
      expect(elapsed).toBeLessThan(BOUND_MS);
      const head = name.split(' ')[0];
      expect(out.stderr).toMatch(
        new RegExp(
          `^moderation-worker ${head}: Redis at 127\\.0\\.0\\.1:${port()} unreachable: (.*ECONNREFUSED.*|no answer within ${OPERATOR_REDIS_TIMEOUT_MS} ms \\(ERR_GEODUELS_DEADLINE\\))\\n$`,
        ),
      );
      expect(out.stdout + out.stderr).not.toContain(PASSWORD);
    },
  );

  it('fails check within its per-check bound, naming the address in the redis row', async () => {
    const { out, output } = captureOutput();
    const started = performance.now();
    const code = await checkCommand.run(
      ['--worker-url', `http://127.0.0.1:${refusedPort}`, '--timeout-ms', String(OPERATOR_REDIS_TIMEOUT_MS)],
      env(port()),
      output,
    );
    expect(code).toBe(1);
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    expect(out.stdout).toMatch(new RegExp(`\\nredis +FAIL +127\\.0\\.0\\.1:${port()}: `));
    expect(out.stdout + out.stderr).not.toContain(PASSWORD);
  });
});

describe.concurrent('the bin (dist/cli.js, built) against a Redis that never answers', () => {
  it.each([
    ['enqueue', [MATCH]],
    ['backfill', []],
  ])('%s exits 1 within the bound, with the message on stderr', async (name, argv) => {
    const started = performance.now();
    const { exit, logs } = await runWorkerCli([name, ...argv], env(silentPort));
    // The process itself must end: nothing it opened may keep it alive. Node's start-up adds to the bound.
    expect(performance.now() - started).toBeLessThan(BOUND_MS + 1_500);
    expect(exit.code).toBe(1);
    expect(logs.text()).toContain(
      `moderation-worker ${name}: Redis at 127.0.0.1:${silentPort} unreachable: no answer within ${OPERATOR_REDIS_TIMEOUT_MS} ms`,
    );
    expect(logs.text()).not.toContain(PASSWORD);
  });
});
