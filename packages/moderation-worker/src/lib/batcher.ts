// Coalesces the single-item calls of concurrent jobs into batched calls, without a timer: a call
// that finds a free slot starts a batch at once (at the end of the current microtask queue, so calls
// made together still share it); calls made while every slot is busy wait and leave together in the
// next batch. Under light load every batch holds one item and adds no latency; under heavy load
// batches grow by themselves, and with them the work saved per item (round trips, commits).

/** How a {@link Batcher} runs its batches. */
export interface BatcherOptions<I, O> {
  /** Runs one batch; resolves to one result per item, in the items' order. */
  run(items: readonly I[]): Promise<readonly O[]>;
  /** Items per batch at most. */
  maxBatch: number;
  /** Batches running at once at most. */
  maxInFlight: number;
  /**
   * Items with the same key never share a batch (a later one waits for the next batch), for
   * statements that may touch a row only once.
   */
  key?: (item: I) => string;
  /** Told the size of every batch as it starts (for metrics). */
  onBatch?: (size: number) => void;
}

interface Pending<I, O> {
  item: I;
  onStart: ((batchSize: number) => void) | undefined;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/** Gathers items from concurrent callers into batches; see the module comment. */
export class Batcher<I, O> {
  readonly #options: BatcherOptions<I, O>;
  #pending: Pending<I, O>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(options: BatcherOptions<I, O>) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1)
      throw new RangeError(`maxBatch must be a whole number >= 1 (got ${options.maxBatch})`);
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1)
      throw new RangeError(`maxInFlight must be a whole number >= 1 (got ${options.maxInFlight})`);
    this.#options = options;
  }

  /** Items waiting for a free slot. */
  get waiting(): number {
    return this.#pending.length;
  }

  /** Batches running now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Adds an item to the next batch; settles with its own result. When a batch of several items
   * fails, each of its items is run again alone, so one bad item fails only its own caller.
   * `onStart` is told the size of each batch that runs the item, as it starts.
   */
  add(item: I, onStart?: (batchSize: number) => void): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#pending.push({ item, onStart, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#options.maxInFlight || this.#pending.length === 0) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      while (this.#inFlight < this.#options.maxInFlight && this.#pending.length > 0)
        this.#start(this.#take());
    });
  }

  #take(): Pending<I, O>[] {
    const { maxBatch, key } = this.#options;
    if (key === undefined) return this.#pending.splice(0, maxBatch);
    const batch: Pending<I, O>[] = [];
    const rest: Pending<I, O>[] = [];
    const keys = new Set<string>();
    for (const entry of this.#pending) {
      const k = key(entry.item);
      if (batch.length < maxBatch && !keys.has(k)) {
        keys.add(k);
        batch.push(entry);
      } else rest.push(entry);
    }
    this.#pending = rest;
    return batch;
  }

  #start(batch: Pending<I, O>[]): void {
    this.#options.onBatch?.(batch.length);
    for (const entry of batch) tellStart(entry, batch.length);
    this.#inFlight += 1;
    void this.#runBatch(batch).finally(() => {
      this.#inFlight -= 1;
      this.#schedule();
    });
  }

  async #runBatch(batch: Pending<I, O>[]): Promise<void> {
    let results: readonly O[];
    try {
      results = await this.#options.run(batch.map((p) => p.item));
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else for (const entry of batch) this.#runAlone(entry);
      return;
    }
    if (results.length !== batch.length) {
      const error = new Error(`batch returned ${results.length} results for ${batch.length} items`);
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, i) => {
      entry.resolve(results[i]!);
    });
  }

  // Outside the slots: the isolation retry of a failed batch must not wait behind new batches.
  #runAlone(entry: Pending<I, O>): void {
    tellStart(entry, 1);
    // Through a promise, so that even a run() that throws synchronously settles only this entry.
    Promise.resolve([entry.item])
      .then((items) => this.#options.run(items))
      .then(
        (results) =>
          results.length === 1
            ? entry.resolve(results[0]!)
            : entry.reject(new Error(`batch returned ${results.length} results for 1 item`)),
        entry.reject,
      );
  }
}

// An observer's fault must never keep a statement from running, nor settle someone else's item.
function tellStart<I, O>(entry: Pending<I, O>, batchSize: number): void {
  try {
    entry.onStart?.(batchSize);
  } catch {
    // Observing is best effort.
  }
}
