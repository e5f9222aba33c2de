// The arguments of `moderation-worker queue <action>`, parsed into what each action needs.
import { DurationError, parseGoDuration } from '@geoduels/risk-client';
import { parseCommandArgs } from './command-io.js';

/** What `queue failed` lists unless `--limit` says otherwise. */
export const DEFAULT_FAILED_LIMIT = 50;
/** The most `queue failed` lists at once. */
export const MAX_FAILED_LIMIT = 10_000;

/** The actions of `queue`, in the order its usage lists them. */
export const QUEUE_ACTIONS = ['pause', 'resume', 'status', 'failed', 'retry', 'clean'] as const;
type QueueAction = (typeof QUEUE_ACTIONS)[number];

/** A parsed `queue` command line. */
export type QueueArgs =
  | { action: 'pause' | 'resume' | 'status'; json: boolean }
  | { action: 'failed'; limit: number; json: boolean }
  | {
      action: 'retry';
      /** One job (its id, or a match id), or null for every failed job (`--all-failed --yes`). */
      jobId: string | null;
      confirmed: boolean;
    }
  | {
      action: 'clean';
      /** The duration as typed (for messages) and in milliseconds. */
      olderThan: { text: string; ms: number };
      confirmed: boolean;
    };

const OPTIONS = {
  json: { type: 'boolean' },
  limit: { type: 'string' },
  'all-failed': { type: 'boolean' },
  yes: { type: 'boolean' },
  failed: { type: 'boolean' },
  'older-than': { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;

/** The options each action accepts; any other is a usage error naming it. */
const ACCEPTED: Record<QueueAction, readonly OptionName[]> = {
  pause: ['json'],
  resume: ['json'],
  status: ['json'],
  failed: ['json', 'limit'],
  retry: ['all-failed', 'yes'],
  clean: ['failed', 'older-than', 'yes'],
};

/** Parses the arguments that follow `queue`; an Error value is a usage error saying what was wrong. */
export function parseQueueArgs(argv: string[]): QueueArgs | Error {
  const parsed = parseCommandArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  if (parsed instanceof Error) return parsed;
  const [action, ...rest] = parsed.positionals;
  const { values } = parsed;
  if (action === undefined) return new Error(`missing action: ${listActions()}`);
  if (!(QUEUE_ACTIONS as readonly string[]).includes(action)) {
    return new Error(`unknown action "${action}": expected ${listActions()}`);
  }
  const typed = action as QueueAction;
  const given = (Object.keys(values) as OptionName[]).filter((name) => values[name] !== undefined);
  const stray = given.find((name) => !ACCEPTED[typed].includes(name));
  if (stray !== undefined) return new Error(`--${stray} does not apply to "queue ${typed}"`);
  if (typed === 'retry') return retryArgs(rest, values['all-failed'] === true, values.yes === true);
  if (rest.length > 0) return new Error(`unexpected argument "${rest[0]}"`);
  if (typed === 'failed') {
    const limit = parseLimit(values.limit);
    return limit instanceof Error ? limit : { action: typed, limit, json: values.json === true };
  }
  if (typed === 'clean') return cleanArgs(values.failed === true, values['older-than'], values.yes === true);
  return { action: typed, json: values.json === true };
}

function retryArgs(positionals: string[], allFailed: boolean, confirmed: boolean): QueueArgs | Error {
  const [jobId, ...extra] = positionals;
  if (extra.length > 0) return new Error(`unexpected argument "${extra[0]}": retry takes one job id`);
  if (jobId !== undefined && allFailed) {
    return new Error(`give either a job id or --all-failed, not both (got "${jobId}" and --all-failed)`);
  }
  if (jobId === undefined && !allFailed) {
    return new Error('missing job id: "queue retry <jobId>", or "queue retry --all-failed --yes"');
  }
  if (jobId !== undefined) {
    if (jobId.trim() === '') return new Error('job id: must not be empty');
    if (confirmed) return new Error('--yes applies only to --all-failed (one job needs no confirmation)');
    return { action: 'retry', jobId, confirmed: false };
  }
  if (!confirmed) {
    return new Error(
      '--all-failed retries every failed job: add --yes to confirm (list them first with "queue failed")',
    );
  }
  return { action: 'retry', jobId: null, confirmed: true };
}

function cleanArgs(failed: boolean, olderThan: string | undefined, confirmed: boolean): QueueArgs | Error {
  if (!failed) return new Error('missing --failed: clean removes failed jobs only, and says so');
  if (olderThan === undefined) {
    return new Error('missing --older-than <duration>: how old a failed job must be to go (e.g. 72h)');
  }
  let ms: number;
  try {
    ms = parseGoDuration(olderThan);
  } catch (error) {
    if (error instanceof DurationError) return new Error(`--older-than: ${error.message}`);
    throw error;
  }
  return { action: 'clean', olderThan: { text: olderThan, ms }, confirmed };
}

function parseLimit(raw: string | undefined): number | Error {
  if (raw === undefined) return DEFAULT_FAILED_LIMIT;
  const limit = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_FAILED_LIMIT) {
    return new Error(`--limit: must be a whole number from 1 to ${MAX_FAILED_LIMIT} (got "${raw}")`);
  }
  return limit;
}

function listActions(): string {
  return `${QUEUE_ACTIONS.slice(0, -1).join(', ')} or ${QUEUE_ACTIONS.at(-1)}`;
}
