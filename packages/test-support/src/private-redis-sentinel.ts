// A Redis master with one replica, watched by three Sentinels, on loopback from the machine's
// redis-server: a killed master is replaced by its replica within seconds; everything is removed afterwards.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from './poll.js';
import { freePort } from './ports.js';
import { ping } from './private-redis.js';
import { type ManagedProcess, spawnManaged } from './processes.js';
import { onRedisPort } from './redis-on-port.js';

/** A Sentinel-watched master/replica pair owned by one test file. */
export interface PrivateRedisSentinel {
  /** The name the Sentinels monitor the master under (REDIS_SENTINEL_MASTER). */
  readonly masterName: string;
  /** The REDIS_SENTINELS value: every Sentinel's `127.0.0.1:<port>`, comma-separated. */
  readonly sentinels: string;
  /** Port of the master as the Sentinels report it now. */
  masterPort(): Promise<number>;
  /** SIGKILLs the data node on `port` (a crash). */
  kill(port: number): Promise<void>;
  /** After `kill(port)` of the master: resolves to the promoted replica's port once it answers as master. */
  waitForFailover(deadPort: number, timeoutMs?: number): Promise<number>;
  /** Stops every process and removes the data directory. */
  destroy(): Promise<void>;
}

/** Options of {@link startPrivateRedisSentinel}. */
export interface PrivateRedisSentinelOptions {
  /** down-after-milliseconds: how long a silent master is tolerated (default 1000 ms). */
  downAfterMs?: number;
}

const MASTER_NAME = 'gdmaster';

/**
 * Starts a master, a replica of it and three Sentinels (quorum 2) on free ports, and waits until every
 * Sentinel knows the replica and the other Sentinels, so a failover can be voted at once.
 */
export async function startPrivateRedisSentinel(
  options: PrivateRedisSentinelOptions = {},
): Promise<PrivateRedisSentinel> {
  const downAfterMs = options.downAfterMs ?? 1_000;
  const dir = await mkdtemp(join(tmpdir(), 'gd-redis-sentinel-'));
  const processes: ManagedProcess[] = [];
  const byPort = new Map<number, ManagedProcess>();

  const start = async (name: string, port: number, args: string[]) => {
    const proc = spawnManaged({ name, command: 'redis-server', args, env: { PATH: process.env.PATH } });
    processes.push(proc);
    byPort.set(port, proc);
    const outcome = await pollUntil(
      async () => {
        if (proc.exitState !== undefined) return 'exited';
        return (await ping(port)) ? 'up' : undefined;
      },
      { description: `${name} on ${port} to answer PING`, timeoutMs: 15_000 },
    );
    if (outcome === 'exited') throw new Error(`${name} exited: ${proc.logs.text()}`);
  };
  const destroy = async () => {
    await Promise.all(processes.map((p) => (p.exitState === undefined ? p.stop(5_000) : undefined)));
    await rm(dir, { recursive: true, force: true });
  };

  const dataArgs = (port: number) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--dbfilename',
    `dump-${port}.rdb`,
    // The replica takes its first copy at once (the default waits 5 s for more replicas to share it).
    '--repl-diskless-sync-delay',
    '0',
  ];
  const [masterPort, replicaPort, ...sentinelPorts] = await distinctFreePorts(5);
  try {
    await start('redis-master', masterPort!, dataArgs(masterPort!));
    await start('redis-replica', replicaPort!, [
      ...dataArgs(replicaPort!),
      '--replicaof',
      '127.0.0.1',
      String(masterPort),
    ]);
    await Promise.all(
      sentinelPorts.map(async (port) => {
        const file = join(dir, `sentinel-${port}.conf`);
        await writeFile(
          file,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
            `sentinel down-after-milliseconds ${MASTER_NAME} ${downAfterMs}`,
            `sentinel failover-timeout ${MASTER_NAME} ${Math.max(3_000, downAfterMs * 3)}`,
            `sentinel parallel-syncs ${MASTER_NAME} 1`,
            '',
          ].join('\n'),
        );
        await start(`redis-sentinel:${port}`, port, [file, '--sentinel']);
      }),
    );
    await pollUntil(
      async () => {
        const views = await Promise.all(
          sentinelPorts.map((port) => sentinelMaster(port!).catch(() => undefined)),
        );
        return views.every((v) => v?.['num-slaves'] === '1' && v['num-other-sentinels'] === '2')
          ? true
          : undefined;
      },
      { description: 'every sentinel to know the replica and the other sentinels', timeoutMs: 30_000 },
    );
    // A replica promoted before its first sync would come up empty.
    await pollUntil(
      async () =>
        /^master_link_status:up\r?$/m.test(await onRedisPort(replicaPort!, (r) => r.info('replication')))
          ? true
          : undefined,
      { description: 'the replica to finish its first sync (master_link_status:up)', timeoutMs: 30_000 },
    );
  } catch (error) {
    await destroy();
    throw error;
  }

  const liveSentinel = () => sentinelPorts.find((port) => byPort.get(port!)?.exitState === undefined)!;
  const currentMaster = async () => {
    const [, port] = (await onRedisPort(liveSentinel(), (r) =>
      r.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME),
    )) as [string, string];
    return Number(port);
  };

  return {
    masterName: MASTER_NAME,
    sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
    masterPort: currentMaster,
    async kill(port) {
      const proc = byPort.get(port);
      proc?.signal('SIGKILL');
      await proc?.exited;
    },
    async waitForFailover(deadPort, timeoutMs = 30_000) {
      return pollUntil(
        async () => {
          const port = await currentMaster();
          if (port === deadPort) return undefined;
          const [role] = (await onRedisPort(port, (r) => r.call('ROLE'))) as [string];
          return role === 'master' ? port : undefined;
        },
        { description: `the sentinels to promote a replica in place of ${deadPort}`, timeoutMs },
      );
    },
    destroy,
  };
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** `SENTINEL MASTER <name>` on the Sentinel at `port`, as a field map. */
async function sentinelMaster(port: number): Promise<Record<string, string>> {
  const flat = (await onRedisPort(port, (r) => r.call('SENTINEL', 'master', MASTER_NAME))) as string[];
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}
