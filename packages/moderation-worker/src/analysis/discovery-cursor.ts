// The discovery cursor's rules. Times are microseconds since the epoch, exactly as PostgreSQL keeps
// them: a keyset position rounded to JavaScript's milliseconds would sit before the match it names,
// and a full batch of matches ending within one millisecond would then be found again forever.

/** A point in time in microseconds since the Unix epoch. */
export type Micros = bigint;

/** A place in the sweep order of ranked duels, `(ended_at, match_id)`. */
export interface SweepPosition {
  endedAt: Micros;
  matchId: string;
}

/** The cursor row as a pass reads it. */
export interface CursorState {
  /** Every ranked duel that ended before this, and had committed by then, was examined; null before the first round. */
  sweptTo: Micros | null;
  /** A round whose last pass was full: the next pass continues after `after`. */
  resume: { after: SweepPosition; roundStartedAt: Micros } | null;
}

/** The last completed pass: when, and by which sweeper (a random id per process). */
export interface LastPass {
  at: Micros;
  by: string;
}

/** What one pass scans: ranked duels strictly after `after`, for the round begun at `roundStartedAt`. */
export interface SweepWindow {
  after: SweepPosition;
  roundStartedAt: Micros;
}

/** The smallest uuid: a position before every match that ended at the same instant. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

const MICROS_PER_MS = 1_000n;

/**
 * Whether a sweeper that holds the cursor should sweep: not when another replica completed a pass
 * less than an interval ago, so that replicas together sweep about once per interval rather than
 * once each; always to finish an unfinished round, and always after its own pass (its loop paces it).
 */
export function passDue(
  state: CursorState,
  last: LastPass | null,
  me: string,
  dbNow: Micros,
  intervalMs: number,
): boolean {
  if (state.resume !== null || last === null || last.by === me) return true;
  return dbNow - last.at >= BigInt(intervalMs) * MICROS_PER_MS;
}

/**
 * The window of the next pass. An unfinished round continues where its last full pass stopped; a
 * new round begins now and looks back `overlapMs` behind the cursor (behind now on the first start),
 * because a match's `ended_at` is set before its transaction commits.
 */
export function sweepWindow(state: CursorState, dbNow: Micros, overlapMs: number): SweepWindow {
  if (state.resume !== null)
    return { after: state.resume.after, roundStartedAt: state.resume.roundStartedAt };
  const from = state.sweptTo ?? dbNow;
  return {
    after: { endedAt: from - BigInt(overlapMs) * MICROS_PER_MS, matchId: NIL_UUID },
    roundStartedAt: dbNow,
  };
}

/**
 * The cursor after a pass that found `found` (in sweep order, at most `batchSize`): a full pass
 * leaves the round open after its last match; a shorter one ends the round, and the cursor moves to
 * the round's start (never backwards, whatever the clocks do).
 */
export function advanceCursor(
  state: CursorState,
  window: SweepWindow,
  found: readonly SweepPosition[],
  batchSize: number,
): CursorState {
  const last = found.at(-1);
  if (last !== undefined && found.length >= batchSize) {
    return { sweptTo: state.sweptTo, resume: { after: last, roundStartedAt: window.roundStartedAt } };
  }
  const sweptTo =
    state.sweptTo !== null && state.sweptTo > window.roundStartedAt ? state.sweptTo : window.roundStartedAt;
  return { sweptTo, resume: null };
}

/** Seconds from the cursor to `now` (0 when the cursor is ahead); null before the first round ended. */
export function cursorLagSeconds(sweptTo: Micros | null, now: Micros): number | null {
  if (sweptTo === null) return null;
  return now > sweptTo ? Number(now - sweptTo) / 1e6 : 0;
}
