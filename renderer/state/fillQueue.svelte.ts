import type { FillSettings, MaskImage } from '../../electron/shared/contract';

/**
 * A fill asked for while another runs: its own copy of the mask (full resolution) and settings as they
 * were then. Its request is built when its turn comes, from the photo as it is then (results applied
 * meanwhile are its context).
 */
export interface WaitingFill {
  jobId: string;
  /** The page's count of fills (Fill 3). */
  n: number;
  mask: MaskImage;
  settings: FillSettings;
  /** Masked pixels, for the list. */
  maskedPx: number;
  /** The mask's state and the settings but the seed; null for Fill again (new seed), never the same. */
  key: string | null;
  queuedAt: number;
}

/** Fills waiting for the running one, in order; each can be canceled before it starts. */
export class FillQueue {
  waiting = $state.raw<WaitingFill[]>([]);

  add(f: WaitingFill): void {
    this.waiting = [...this.waiting, f];
  }

  /** True when `key` is one already waiting. */
  has(key: string | null): boolean {
    return key !== null && this.waiting.some((f) => f.key === key);
  }

  cancel(jobId: string): void {
    this.waiting = this.waiting.filter((f) => f.jobId !== jobId);
  }

  /** The next fill to start, out of the queue. */
  take(): WaitingFill | undefined {
    const [next, ...rest] = this.waiting;
    this.waiting = rest;
    return next;
  }

  clear(): void {
    this.waiting = [];
  }
}
