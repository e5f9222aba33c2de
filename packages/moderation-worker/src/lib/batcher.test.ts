import { describe, expect, it } from 'vitest';
import { Batcher, type BatcherOptions } from './batcher.js';

/** A batch run the test finishes by hand: records every batch and waits until told to answer. */
function controlledRun() {
  const batches: { items: string[]; finish: (results?: string[]) => void; fail: (e: Error) => void }[] = [];
  const run: BatcherOptions<string, string>['run'] = (items) =>
    new Promise((resolve, reject) => {
      batches.push({
        items: [...items],
        finish: (results) => resolve(results ?? items.map((i) => `done:${i}`)),
        fail: reject,
      });
    });
  return { batches, run };
}

// Lets queued microtasks (the batch start, settled promises) run; no timers involved.
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Batcher', () => {
  it('runs a lone call at once as a batch of one', async () => {
    const { batches, run } = controlledRun();
    const batcher = new Batcher({ run, maxBatch: 8, maxInFlight: 1 });
    const result = batcher.add('a');
    await settle();
    expect(batches.map((b) => b.items)).toEqual([['a']]);
    batches[0]!.finish();
    await expect(result).resolves.toBe('done:a');
  });

  it('puts calls made together in one batch, and calls made while it runs in the next one', async () => {
    const { batches, run } = controlledRun();
    const sizes: number[] = [];
    const batcher = new Batcher({ run, maxBatch: 8, maxInFlight: 1, onBatch: (n) => sizes.push(n) });
    const first = ['a', 'b', 'c'].map((i) => batcher.add(i));
    await settle();
    const second = ['d', 'e'].map((i) => batcher.add(i));
    await settle();
    expect(batches.map((b) => b.items)).toEqual([['a', 'b', 'c']]);
    expect(batcher.waiting).toBe(2);
    expect(batcher.inFlight).toBe(1);

    batches[0]!.finish();
    await settle();
    expect(batches.map((b) => b.items)).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    batches[1]!.finish();
    expect(await Promise.all([...first, ...second])).toEqual([
      'done:a',
      'done:b',
      'done:c',
      'done:d',
      'done:e',
    ]);
    expect(sizes).toEqual([3, 2]);
    expect(batcher.inFlight).toBe(0);
  });

  it('never exceeds maxBatch items or maxInFlight batches', async () => {
    const { batches, run } = controlledRun();
    const batcher = new Batcher({ run, maxBatch: 2, maxInFlight: 2 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((i) => batcher.add(i));
    await settle();
    expect(batches.map((b) => b.items)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(batcher.waiting).toBe(1);
    batches[1]!.finish();
    await settle();
    expect(batches.map((b) => b.items)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    batches[0]!.finish();
    batches[2]!.finish();
    expect(await Promise.all(all)).toEqual(['done:a', 'done:b', 'done:c', 'done:d', 'done:e']);
  });

  it('keeps items with the same key out of one batch, in their order', async () => {
    const { batches, run } = controlledRun();
    const batcher = new Batcher({
      run,
      maxBatch: 8,
      maxInFlight: 1,
      key: (item: string) => item.split(':')[0]!,
    });
    const all = ['m1:first', 'm2:only', 'm1:second', 'm1:third'].map((i) => batcher.add(i));
    await settle();
    expect(batches.map((b) => b.items)).toEqual([['m1:first', 'm2:only']]);
    batches[0]!.finish();
    await settle();
    batches[1]!.finish();
    await settle();
    batches[2]!.finish();
    expect(batches.map((b) => b.items)).toEqual([['m1:first', 'm2:only'], ['m1:second'], ['m1:third']]);
    expect(await Promise.all(all)).toHaveLength(4);
  });

  it('runs each item of a failed batch alone, so only the bad item fails', async () => {
    const seen: string[][] = [];
    const batcher = new Batcher<string, string>({
      maxBatch: 8,
      maxInFlight: 1,
      run: async (items) => {
        seen.push([...items]);
        if (items.includes('bad')) throw new Error('constraint violated by bad');
        return items.map((i) => `done:${i}`);
      },
    });
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((i) => batcher.add(i)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 'done:a' },
      { status: 'rejected', reason: new Error('constraint violated by bad') },
      { status: 'fulfilled', value: 'done:c' },
    ]);
    expect(seen).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('settles each item even when run() throws instead of rejecting', async () => {
    const batcher = new Batcher<string, string>({
      maxBatch: 8,
      maxInFlight: 1,
      run: (items) => {
        if (items.includes('bad')) throw new Error('thrown for bad');
        return Promise.resolve(items.map((i) => `done:${i}`));
      },
    });
    const results = await Promise.allSettled(['a', 'bad'].map((i) => batcher.add(i)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 'done:a' },
      { status: 'rejected', reason: new Error('thrown for bad') },
    ]);
  });

  it('fails a lone item with the batch error itself, without running it again', async () => {
    let runs = 0;
    const error = new Error('database down');
    const batcher = new Batcher<string, string>({
      maxBatch: 8,
      maxInFlight: 1,
      run: async () => {
        runs += 1;
        throw error;
      },
    });
    await expect(batcher.add('a')).rejects.toBe(error);
    expect(runs).toBe(1);
  });

  it('rejects every item when a batch answers with the wrong number of results', async () => {
    const { batches, run } = controlledRun();
    const batcher = new Batcher({ run, maxBatch: 8, maxInFlight: 1 });
    const all = Promise.allSettled(['a', 'b'].map((i) => batcher.add(i)));
    await settle();
    batches[0]!.finish(['only one']);
    const results = await all;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toContain('1 results for 2 items');
  });

  it("tells each caller when its item's batch starts, after its wait, and how many items it holds", async () => {
    const { batches, run } = controlledRun();
    const batcher = new Batcher({ run, maxBatch: 8, maxInFlight: 1 });
    const starts: Array<[string, number]> = [];
    const add = (item: string) => batcher.add(item, (size) => starts.push([item, size]));
    const first = add('a');
    await settle();
    const waiting = ['b', 'c'].map(add);
    await settle();
    expect(starts).toEqual([['a', 1]]);
    batches[0]!.finish();
    await settle();
    expect(starts).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 2],
    ]);
    batches[1]!.finish();
    await Promise.all([first, ...waiting]);
  });

  it('tells the items of a failed batch again, with 1, when each runs alone', async () => {
    const starts: Array<[string, number]> = [];
    const batcher = new Batcher<string, string>({
      maxBatch: 8,
      maxInFlight: 1,
      run: async (items) => {
        if (items.length > 1) throw new Error('batch failed');
        return items.map((i) => `done:${i}`);
      },
    });
    await Promise.all(['a', 'b'].map((item) => batcher.add(item, (size) => starts.push([item, size]))));
    expect(starts).toEqual([
      ['a', 2],
      ['b', 2],
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('runs the batch even when a start observer throws', async () => {
    const batcher = new Batcher<string, string>({
      maxBatch: 8,
      maxInFlight: 1,
      run: async (items) => items.map((i) => `done:${i}`),
    });
    const observer = () => {
      throw new Error('observer broke');
    };
    await expect(Promise.all([batcher.add('a', observer), batcher.add('b')])).resolves.toEqual([
      'done:a',
      'done:b',
    ]);
  });

  it('refuses options that could never run a batch', () => {
    const run = async () => [];
    expect(() => new Batcher({ run, maxBatch: 0, maxInFlight: 1 })).toThrow(
      /maxBatch must be a whole number >= 1/,
    );
    expect(() => new Batcher({ run, maxBatch: 4, maxInFlight: 1.5 })).toThrow(
      /maxInFlight must be a whole number >= 1/,
    );
  });
});
