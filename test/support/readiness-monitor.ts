import { setTimeout as delay } from 'node:timers/promises';
import { httpStatus } from '@geoduels/test-support';

/** One readiness probe result. */
export interface ReadinessSample {
  at: number;
  status: number | 'unreachable';
}

/**
 * Polls a readiness URL in the background for the whole of a scenario, so a test can assert that
 * the worker never went not-ready while its dependencies were up (or that it did while one was down).
 */
export class ReadinessMonitor {
  readonly samples: ReadinessSample[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly intervalMs = 100,
  ) {}

  /** Starts polling. */
  start(): this {
    this.running = true;
    this.loop = this.run();
    return this;
  }

  /** Stops polling and waits for the probe in flight. */
  async stop(): Promise<ReadinessSample[]> {
    this.running = false;
    await this.loop;
    return this.samples;
  }

  /** Samples whose status was anything but 200. */
  notReady(): ReadinessSample[] {
    return this.samples.filter((sample) => sample.status !== 200);
  }

  private async run(): Promise<void> {
    while (this.running) {
      const status = await httpStatus(this.url);
      this.samples.push({ at: Date.now(), status });
      await delay(this.intervalMs);
    }
  }
}
