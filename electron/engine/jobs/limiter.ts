/**
 * At most `slots` tasks at once, the rest queued in order. The engine's service runs every decode and
 * encode through one process-wide limiter: three 100 MP photos opened at once are decoded one after
 * another (about 400 MB each at a time) instead of together (the 3 GB).
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most tasks that ran at once, and the longest queue seen (for tests and the reliability report). */
  peak = 0;
  peakQueued = 0;

  constructor(readonly slots: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.active >= this.slots) {
      this.peakQueued = Math.max(this.peakQueued, this.waiting.length + 1);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Decodes and encodes of this process (image files to pixels and back). */
export const codecSlots = new Limiter(1);
