/**
 * One job at a time per engine (one device); later jobs wait in order. Cancellation aborts a running
 * job's signal (checked between model calls: onnxruntime-node cannot interrupt a run) or drops a queued one.
 */
import { ApiError, type JobEvent } from '../../shared/contract.js';

export type JobRunner = (jobId: string, signal: AbortSignal, emit: (event: JobEvent) => void) => Promise<void>;

interface Job {
  id: string;
  run: JobRunner;
  controller: AbortController;
}

export class JobQueue {
  private readonly waiting: Job[] = [];
  private running: Job | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly emit: (event: JobEvent) => void) {}

  /** Queues a job under the id its client chose (unique among the jobs not yet ended). */
  submit(id: string, run: JobRunner): void {
    if (this.running?.id === id || this.waiting.some((j) => j.id === id)) throw new ApiError('BAD_REQUEST', `job id ${id} is already in use`);
    this.waiting.push({ id, run, controller: new AbortController() });
    this.emit({ jobId: id, method: null, stage: 'queued', step: this.waiting.length, total: this.waiting.length + (this.running ? 1 : 0), elapsedMs: 0 });
    queueMicrotask(() => void this.pump());
  }

  cancel(jobId: string): void {
    if (this.running?.id === jobId) {
      this.running.controller.abort();
      return;
    }
    const i = this.waiting.findIndex((j) => j.id === jobId);
    if (i < 0) throw new ApiError('UNKNOWN_JOB', `no queued or running job ${jobId}`);
    this.waiting.splice(i, 1);
    this.emit({ jobId, method: null, stage: 'canceled' });
  }

  get busy(): boolean {
    return this.running !== null || this.waiting.length > 0;
  }

  /** Resolves when no job is running or waiting. */
  idle(): Promise<void> {
    return this.busy ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    const job = this.waiting.shift();
    if (!job) {
      this.idleWaiters.splice(0).forEach((r) => r());
      return;
    }
    this.running = job;
    try {
      await job.run(job.id, job.controller.signal, this.emit);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'CANCELED') this.emit({ jobId: job.id, method: null, stage: 'canceled' });
      else {
        const shape = err instanceof ApiError ? err.toShape() : { code: 'ENGINE_FAILURE' as const, message: (err as Error).message ?? String(err) };
        this.emit({ jobId: job.id, method: null, stage: 'error', error: shape });
      }
    } finally {
      this.running = null;
      void this.pump();
    }
  }
}
