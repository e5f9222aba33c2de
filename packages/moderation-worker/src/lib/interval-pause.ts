/**
 * The pause between two passes of a periodic loop (the discovery and recovery sweeps): `wake()` ends
 * a pause early, and a wake that comes while a pass runs makes the next pause end at once, so a
 * wake-up is never lost between passes.
 */
export class IntervalPause {
  private woken = false;
  private endNow: (() => void) | null = null;

  constructor(private readonly ms: number) {}

  /** Waits the interval, or less once woken (since the last pause, or during this one). */
  async wait(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.ms);
      this.endNow = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.endNow = null;
    this.woken = false;
  }

  /** Ends the current pause, or the next one as it starts. */
  wake(): void {
    if (this.endNow !== null) this.endNow();
    else this.woken = true;
  }
}
