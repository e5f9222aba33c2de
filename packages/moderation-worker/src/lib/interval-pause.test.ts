import { describe, expect, it } from 'vitest';
import { IntervalPause } from './interval-pause.js';

const settledWithin = async (promise: Promise<void>, ms: number): Promise<boolean> =>
  Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('IntervalPause', () => {
  it('waits the interval when nobody wakes it', async () => {
    const pause = new IntervalPause(30);
    expect(await settledWithin(pause.wait(), 5)).toBe(false);
    expect(await settledWithin(pause.wait(), 200)).toBe(true);
  });

  it('ends a pause early on wake, and only that one', async () => {
    const pause = new IntervalPause(60_000);
    const waiting = pause.wait();
    pause.wake();
    expect(await settledWithin(waiting, 100)).toBe(true);
    expect(await settledWithin(pause.wait(), 20)).toBe(false);
  });

  it('keeps a wake that came between pauses for the next one', async () => {
    const pause = new IntervalPause(60_000);
    pause.wake();
    expect(await settledWithin(pause.wait(), 100)).toBe(true);
    // Used up: the pause after that waits again.
    expect(await settledWithin(pause.wait(), 20)).toBe(false);
  });
});
