import type { Queue } from 'bullmq';

/** The job states `check` and `queue status` report, in display order (BullMQ 6: a paused queue's jobs wait). */
export const REPORTED_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'failed',
  'completed',
] as const;

/** Whether the queue is paused (for every worker) and how many jobs are in each state. */
export interface QueueStatus {
  paused: boolean;
  counts: Record<(typeof REPORTED_STATES)[number], number>;
}

/** Reads the queue's pause flag and job counts. */
export async function readQueueStatus(queue: Queue): Promise<QueueStatus> {
  const [paused, counts] = await Promise.all([queue.isPaused(), queue.getJobCounts(...REPORTED_STATES)]);
  const typed = Object.fromEntries(REPORTED_STATES.map((state) => [state, counts[state] ?? 0]));
  return { paused, counts: typed as QueueStatus['counts'] };
}

/** `waiting 3, active 1, ...` for a table cell or a status line. */
export function formatCounts(status: QueueStatus): string {
  return REPORTED_STATES.map((state) => `${state} ${status.counts[state]}`).join(', ');
}
