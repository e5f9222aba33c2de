import { type PrivateRedis, startPrivateRedis, uniquePrefix } from '@geoduels/test-support';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bullmqLogRoute, routeBullmqConsole } from './bullmq-console.js';
import { createLogger } from './logger.js';

const EVICTION_WARNING = 'IMPORTANT! Eviction policy is allkeys-lru. It should be "noeviction"';

let evicting: PrivateRedis;
const connections: Redis[] = [];

beforeAll(async () => {
  evicting = await startPrivateRedis({ persistent: false });
  const admin = new Redis(evicting.url);
  await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
  admin.disconnect();
});

afterEach(() => {
  vi.restoreAllMocks();
  for (const connection of connections.splice(0)) connection.disconnect();
});

afterAll(async () => {
  await evicting.destroy();
});

/** Opens a queue on the evicting Redis and waits until BullMQ has looked at the server (INFO). */
async function openQueue(): Promise<Queue> {
  const connection = new Redis(evicting.url, { maxRetriesPerRequest: null });
  connections.push(connection);
  const queue = new Queue('q', { connection, prefix: uniquePrefix('bullmq-console') });
  await queue.waitUntilReady();
  return queue;
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = { write: (line: string) => lines.push(JSON.parse(line)) };
  return { lines, logger: createLogger('info', destination as unknown as DestinationStream) };
}

describe('BullMQ console output', () => {
  it('arrives in the log as one JSON warning line while routed, however many connections repeat it', async () => {
    const printed = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { lines, logger } = capturingLogger();
    const close = routeBullmqConsole(bullmqLogRoute(logger));
    try {
      const queues = [await openQueue(), await openQueue()];
      await Promise.all(queues.map((queue) => queue.close()));
    } finally {
      close();
    }
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, source: 'bullmq', msg: EVICTION_WARNING, pid: process.pid }),
    ]);
    expect(printed).not.toHaveBeenCalled();
  });

  it('leaves console calls that are not BullMQ’s alone, and the console as it was once closed', async () => {
    const printed = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { lines, logger } = capturingLogger();
    const close = routeBullmqConsole(bullmqLogRoute(logger));
    console.warn('our own warning');
    close();
    expect(printed).toHaveBeenCalledWith('our own warning');
    expect(lines).toEqual([]);

    const queue = await openQueue();
    await queue.close();
    expect(printed).toHaveBeenCalledWith(EVICTION_WARNING);
    expect(lines).toEqual([]);
  });
});
