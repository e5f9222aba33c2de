// Opening the analysis queue with the bullmq the caller installed (a peer dependency: this package
// never brings a copy of its own).
import { type ConnectionOptions, Queue, type Telemetry } from 'bullmq';
import { DEFAULT_JOB_OPTIONS, QUEUE_NAME, QUEUE_PREFIX } from './contract.js';

/** Where a queue lives; each field defaults to the contract's (QUEUE_NAME, QUEUE_PREFIX). */
export interface QueueLocation {
  name?: string;
  prefix?: string;
}

/**
 * Opens the analysis queue on a connection (shared: closing the queue leaves the connection open),
 * with the contract's job options as its defaults. With `telemetry` (e.g. bullmq-otel's `BullMQOtel`)
 * every enqueue is a producer span whose trace the worker's processing continues.
 */
export function openRankedMatchQueue(
  connection: ConnectionOptions,
  location: QueueLocation = {},
  telemetry?: Telemetry,
): Queue {
  return new Queue(location.name ?? QUEUE_NAME, {
    connection,
    prefix: location.prefix ?? QUEUE_PREFIX,
    defaultJobOptions: { ...DEFAULT_JOB_OPTIONS },
    ...(telemetry !== undefined && { telemetry }),
  });
}
