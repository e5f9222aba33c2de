// A Redis Cluster on loopback from the machine's redis-server: masters with one replica each, a short
// node timeout so a killed master fails over in seconds, and everything removed afterwards.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pollUntil } from './poll.js';
import { freePort } from './ports.js';
import { ping } from './private-redis.js';
import { type ManagedProcess, spawnManaged } from './processes.js';
import { onRedisPort } from './redis-on-port.js';

const run = promisify(execFile);

/** One redis-server of the cluster. */
export interface ClusterNodeProcess {
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** Whether its process is running. */
  readonly running: boolean;
}

/** A private Redis Cluster owned by one test file (or one benchmark run). */
export interface PrivateRedisCluster {
  readonly nodes: readonly ClusterNodeProcess[];
  /** The REDIS_CLUSTER_NODES value: every node's `127.0.0.1:<port>`, comma-separated. */
  readonly seedNodes: string;
  /** Port of the master that serves `key`'s hash slot now. */
  masterOf(key: string): Promise<number>;
  /** SIGKILLs the node on `port` (a crash: no shutdown, no last write to disk). */
  kill(port: number): Promise<void>;
  /**
   * After `kill(port)` of a master: resolves to the port of the replica promoted in its place, once
   * `key`'s slot is served by it and every running node reports `cluster_state:ok`.
   */
  waitForFailover(key: string, deadPort: number, timeoutMs?: number): Promise<number>;
  /** Starts a killed node again on its port; it rejoins the cluster (as a replica of the new master). */
  restart(port: number): Promise<void>;
  /** Stops every node and removes their data directory. */
  destroy(): Promise<void>;
}

/** Options of {@link startPrivateRedisCluster}. */
export interface PrivateRedisClusterOptions {
  /** Masters (default 3). */
  masters?: number;
  /** Replicas per master, 1 (default) or 0 (then a killed master leaves its slots unserved). */
  replicasPerMaster?: 0 | 1;
  /** cluster-node-timeout: how long a silent master is tolerated before failover (default 1000 ms). */
  nodeTimeoutMs?: number;
}

/**
 * Starts `masters` × (1 + `replicasPerMaster`) redis-servers in cluster mode on free ports (the cluster
 * bus on free ports of its own), joins them with `redis-cli --cluster create --cluster-replicas N`, and
 * waits until every node reports `cluster_state:ok`. A failed start (a port taken meanwhile) is retried on new ports.
 */
export async function startPrivateRedisCluster(
  options: PrivateRedisClusterOptions = {},
): Promise<PrivateRedisCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

async function startOnce(options: PrivateRedisClusterOptions): Promise<PrivateRedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const count = masters * (1 + replicas);
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1_000;
  const dir = await mkdtemp(join(tmpdir(), 'gd-redis-cluster-'));
  const ports = await distinctFreePorts(count * 2);
  const nodes = Array.from({ length: count }, (_, i) => ({
    port: ports[i]!,
    busPort: ports[count + i]!,
    process: undefined as ManagedProcess | undefined,
  }));

  const startNode = async (node: (typeof nodes)[number]) => {
    const server = spawnManaged({
      name: `redis-cluster:${node.port}`,
      command: 'redis-server',
      args: [
        '--port',
        String(node.port),
        '--cluster-port',
        String(node.busPort),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${node.port}.conf`,
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
        // A replica may take over however stale it is: the tests kill masters on purpose.
        '--cluster-replica-validity-factor',
        '0',
        // Replicas take their first copy at once (the default waits 5 s for more replicas to share it).
        '--repl-diskless-sync-delay',
        '0',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
      ],
      env: { PATH: process.env.PATH },
    });
    node.process = server;
    const outcome = await pollUntil(
      async () => {
        if (server.exitState !== undefined) return 'exited';
        return (await ping(node.port)) ? 'up' : undefined;
      },
      { description: `cluster node on ${node.port} to answer PING`, timeoutMs: 15_000 },
    );
    if (outcome === 'exited') throw new Error(`redis-server ${node.port} exited: ${server.logs.text()}`);
  };

  const stopAll = async () => {
    await Promise.all(
      nodes.map((n) => (n.process?.exitState === undefined ? n.process?.stop(5_000) : undefined)),
    );
  };
  const destroy = async () => {
    await stopAll();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await Promise.all(nodes.map(startNode));
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'],
      { timeout: 60_000 },
    );
    await pollUntil(
      async () =>
        (await allOk(
          nodes.map((n) => n.port),
          nodes.length,
          masters,
        ))
          ? true
          : undefined,
      { description: 'every cluster node to report cluster_state:ok', timeoutMs: 30_000 },
    );
    // A replica promoted before its first sync would come up empty: wait until each has its master's data.
    await pollUntil(async () => ((await replicasInSync(nodes.map((n) => n.port))) ? true : undefined), {
      description: 'every replica to finish its first sync (master_link_status:up)',
      timeoutMs: 30_000,
    });
  } catch (error) {
    await destroy();
    throw error;
  }

  const byPort = (port: number) => {
    const node = nodes.find((n) => n.port === port);
    if (node === undefined) throw new Error(`no cluster node on port ${port}`);
    return node;
  };
  const running = () => nodes.filter((n) => n.process !== undefined && n.process.exitState === undefined);

  return {
    nodes: nodes.map((n) => ({
      port: n.port,
      address: `127.0.0.1:${n.port}`,
      get running() {
        return n.process !== undefined && n.process.exitState === undefined;
      },
    })),
    seedNodes: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    masterOf: (key) => slotMaster(running()[0]!.port, key),
    async kill(port) {
      const node = byPort(port);
      node.process?.signal('SIGKILL');
      await node.process?.exited;
    },
    async waitForFailover(key, deadPort, timeoutMs = 30_000) {
      return pollUntil(
        async () => {
          const live = running().map((n) => n.port);
          const master = await slotMaster(live[0]!, key).catch(() => undefined);
          if (master === undefined || master === deadPort) return undefined;
          return (await allOk(live, undefined, masters)) ? master : undefined;
        },
        { description: `a replica to take over ${key}'s slot from ${deadPort}`, timeoutMs },
      );
    },
    async restart(port) {
      await startNode(byPort(port));
    },
    destroy,
  };
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** True when every node on `ports` answers CLUSTER INFO with state ok (and, if given, the counts). */
async function allOk(
  ports: readonly number[],
  knownNodes: number | undefined,
  size: number,
): Promise<boolean> {
  const infos = await Promise.all(
    ports.map((port) => onRedisPort(port, (r) => r.cluster('INFO')).catch(() => '')),
  );
  return infos.every((info) => {
    const text = String(info);
    return (
      /^cluster_state:ok\r?$/m.test(text) &&
      new RegExp(`^cluster_size:${size}\\r?$`, 'm').test(text) &&
      (knownNodes === undefined || new RegExp(`^cluster_known_nodes:${knownNodes}\\r?$`, 'm').test(text))
    );
  });
}

/** True when every replica among the nodes on `ports` reports its link to its master up. */
async function replicasInSync(ports: readonly number[]): Promise<boolean> {
  const infos = await Promise.all(ports.map((port) => onRedisPort(port, (r) => r.info('replication'))));
  return infos.every((info) => !/^role:slave\r?$/m.test(info) || /^master_link_status:up\r?$/m.test(info));
}

/** The port of the master serving `key`'s slot, as the node on `port` sees the slot map. */
async function slotMaster(port: number, key: string): Promise<number> {
  return onRedisPort(port, async (redis) => {
    const slot = Number(await redis.cluster('KEYSLOT', key));
    const ranges = await redis.cluster('SLOTS');
    const master = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2];
    if (master === undefined) throw new Error(`slot ${slot} of ${key} has no master`);
    return Number(master[1]);
  });
}
