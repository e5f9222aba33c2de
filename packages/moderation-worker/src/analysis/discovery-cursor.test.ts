import { describe, expect, it } from 'vitest';
import {
  advanceCursor,
  type CursorState,
  cursorLagSeconds,
  NIL_UUID,
  passDue,
  type SweepPosition,
  sweepWindow,
} from './discovery-cursor.js';

const SECOND = 1_000_000n;
const NOW = 1_772_714_096_789_123n;
const FIVE_MINUTES_MS = 300_000;
const FRESH: CursorState = { sweptTo: null, resume: null };

function position(endedAt: bigint, n: number): SweepPosition {
  return { endedAt, matchId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}` };
}

describe('the discovery window', () => {
  it('starts at now minus the overlap on the first start, leaving history to backfill', () => {
    expect(sweepWindow(FRESH, NOW, FIVE_MINUTES_MS)).toEqual({
      after: { endedAt: NOW - 300n * SECOND, matchId: NIL_UUID },
      roundStartedAt: NOW,
    });
  });

  it('looks back the overlap behind the cursor, not behind now, so a late commit is still found', () => {
    const sweptTo = NOW - 60n * SECOND;
    expect(sweepWindow({ sweptTo, resume: null }, NOW, FIVE_MINUTES_MS)).toEqual({
      after: { endedAt: sweptTo - 300n * SECOND, matchId: NIL_UUID },
      roundStartedAt: NOW,
    });
  });

  it('continues an unfinished round exactly after its last match, without looking back again', () => {
    const after = position(NOW - 10n * SECOND, 7);
    const roundStartedAt = NOW - 2n * SECOND;
    const state: CursorState = { sweptTo: NOW - 30n * SECOND, resume: { after, roundStartedAt } };
    expect(sweepWindow(state, NOW, FIVE_MINUTES_MS)).toEqual({ after, roundStartedAt });
  });

  it('keeps microseconds exact however large the overlap', () => {
    const window = sweepWindow({ sweptTo: NOW, resume: null }, NOW + 1n, 86_400_000);
    expect(window.after.endedAt).toBe(NOW - 86_400n * SECOND);
  });
});

describe('the cursor after a pass', () => {
  const window = sweepWindow({ sweptTo: NOW - 5n * SECOND, resume: null }, NOW, FIVE_MINUTES_MS);

  it('ends the round at its start when the pass found less than a batch', () => {
    const found = [position(NOW - 4n * SECOND, 1), position(NOW - 3n * SECOND, 2)];
    expect(advanceCursor({ sweptTo: NOW - 5n * SECOND, resume: null }, window, found, 3)).toEqual({
      sweptTo: NOW,
      resume: null,
    });
  });

  it('ends the round when nothing was found, so the window does not grow', () => {
    expect(advanceCursor({ sweptTo: NOW - 5n * SECOND, resume: null }, window, [], 3)).toEqual({
      sweptTo: NOW,
      resume: null,
    });
  });

  it('keeps the cursor and resumes after the last match when the pass was full', () => {
    const found = [1, 2, 3].map((n) => position(NOW - 4n * SECOND, n));
    expect(advanceCursor({ sweptTo: NOW - 5n * SECOND, resume: null }, window, found, 3)).toEqual({
      sweptTo: NOW - 5n * SECOND,
      resume: { after: found[2], roundStartedAt: NOW },
    });
  });

  it('makes progress through a full batch of matches that ended in the same microsecond', () => {
    const instant = NOW - 4n * SECOND;
    const first = advanceCursor(FRESH, window, [position(instant, 1), position(instant, 2)], 2);
    const next = sweepWindow(first, NOW + SECOND, FIVE_MINUTES_MS);
    expect(next.after).toEqual(position(instant, 2));
  });

  it('ends a resumed round at the time the round began, not at the time of its last pass', () => {
    const roundStartedAt = NOW - 20n * SECOND;
    const state: CursorState = {
      sweptTo: NOW - 40n * SECOND,
      resume: { after: position(NOW - 30n * SECOND, 1), roundStartedAt },
    };
    const resumed = sweepWindow(state, NOW, FIVE_MINUTES_MS);
    expect(advanceCursor(state, resumed, [], 10)).toEqual({ sweptTo: roundStartedAt, resume: null });
  });

  it('never moves the cursor back when the database clock does', () => {
    const ahead: CursorState = { sweptTo: NOW + 10n * SECOND, resume: null };
    expect(advanceCursor(ahead, sweepWindow(ahead, NOW, FIVE_MINUTES_MS), [], 10).sweptTo).toBe(
      NOW + 10n * SECOND,
    );
  });
});

describe('whether a pass is due', () => {
  const ME = 'sweeper-a';
  const settled: CursorState = { sweptTo: NOW - 3n * SECOND, resume: null };

  it('skips a pass when another replica swept less than an interval ago', () => {
    expect(passDue(settled, { at: NOW - 3n * SECOND, by: 'sweeper-b' }, ME, NOW, 5_000)).toBe(false);
  });

  it("sweeps once the other replica's pass is an interval old", () => {
    expect(passDue(settled, { at: NOW - 5n * SECOND, by: 'sweeper-b' }, ME, NOW, 5_000)).toBe(true);
  });

  it('sweeps after its own pass, on the first start, and to finish an unfinished round', () => {
    expect(passDue(settled, { at: NOW - SECOND, by: ME }, ME, NOW, 5_000)).toBe(true);
    expect(passDue(FRESH, null, ME, NOW, 5_000)).toBe(true);
    const unfinished: CursorState = {
      sweptTo: null,
      resume: { after: position(NOW - 2n * SECOND, 1), roundStartedAt: NOW - SECOND },
    };
    expect(passDue(unfinished, { at: NOW - SECOND, by: 'sweeper-b' }, ME, NOW, 5_000)).toBe(true);
  });
});

describe('the discovery lag', () => {
  it('is the time from the cursor to now, unknown before the first round and never negative', () => {
    expect(cursorLagSeconds(NOW - 2_500_000n, NOW)).toBe(2.5);
    expect(cursorLagSeconds(null, NOW)).toBeNull();
    expect(cursorLagSeconds(NOW + SECOND, NOW)).toBe(0);
  });
});
