// The worker's side of Redis connections: the factory and its settings come from the producer package
// (shared with the game API); what only the worker needs (cluster state, the readiness probe) is here.
import {
  type ConnectionPolicy,
  createRedisConnection,
  type RedisClusterSettings,
  type RedisConnection,
  type RedisMode,
  type RedisNode,
  type RedisSentinelSettings,
  type RedisTarget,
  redisMode,
} from '@geoduels/moderation-producer';
import { Cluster } from 'ioredis';

export {
  type ConnectionPolicy,
  createRedisConnection,
  type RedisClusterSettings,
  type RedisConnection,
  type RedisMode,
  type RedisNode,
  type RedisSentinelSettings,
  type RedisTarget,
  redisMode,
};

/** True for a Redis Cluster connection. */
export function isCluster(connection: RedisConnection): connection is Cluster {
  return connection instanceof Cluster;
}

/** The fields of a `CLUSTER INFO` answer the worker reports. */
export interface ClusterState {
  /** `ok`, or `fail` while some slot has no serving master. */
  state: string;
  knownNodes: number;
  /** Masters serving at least one slot. */
  size: number;
}

/** Parses `CLUSTER INFO`; missing fields read as `unknown`/0. */
export function parseClusterInfo(info: string): ClusterState {
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  return {
    state: field('cluster_state') ?? 'unknown',
    knownNodes: Number(field('cluster_known_nodes') ?? 0),
    size: Number(field('cluster_size') ?? 0),
  };
}

/** CLUSTER INFO as one node of the cluster sees it. */
export async function readClusterState(cluster: Cluster): Promise<ClusterState> {
  return parseClusterInfo(String(await cluster.cluster('INFO')));
}

/**
 * The readiness probe's round trip: PING on a single Redis; on a cluster CLUSTER INFO, which must
 * say `cluster_state:ok` (while a slot has no master, the queue's slot may be the one).
 */
export async function probeRedis(connection: RedisConnection): Promise<void> {
  if (!isCluster(connection)) {
    await connection.ping();
    return;
  }
  const { state } = await readClusterState(connection);
  if (state !== 'ok') throw new Error(`cluster_state:${state}`);
}
