import type { ApiErrorShape, JobEvent, JobStage, Method, MethodResult } from '../../electron/shared/contract';
import { estimateJob, type Estimate, type EtaPlan } from '../lib/eta';

export type MethodStage = JobStage | 'done' | 'error' | 'canceled';

export interface MethodProgress {
  method: Method;
  stage: MethodStage;
  step: number;
  total: number;
  elapsedMs: number;
  /** This method's sampling time left, from its average step time so far; null until a step has finished. */
  estimateMs: number | null;
  result: MethodResult | null;
  error: ApiErrorShape | null;
  /** Page time (performance.now) when its latest event arrived; 0 before any. */
  at: number;
  /** Method-relative times of its first and latest sampling events, and the latest's step and total. */
  sampleStartMs: number | null;
  sampleEndMs: number | null;
  sampleStep: number;
  sampleTotal: number;
}

export type JobStatus = 'running' | 'finished' | 'canceled' | 'error';

/** Applies one event to a method's progress (pure, so it is tested without a runtime). */
export function nextProgress(p: MethodProgress, e: JobEvent, sampleStartMs: number | undefined): MethodProgress {
  switch (e.stage) {
    case 'done':
      return { ...p, stage: 'done', step: p.total || p.step, elapsedMs: e.elapsedMs, estimateMs: 0, result: e.result };
    case 'error':
      return { ...p, stage: 'error', error: e.error, estimateMs: null };
    case 'canceled':
      return p.stage === 'done' ? p : { ...p, stage: 'canceled', estimateMs: null };
    case 'finished':
      return p;
    default: {
      let estimateMs: number | null = null;
      if (e.stage === 'sampling' && e.step > 0 && sampleStartMs !== undefined) {
        const perStep = (e.elapsedMs - sampleStartMs) / e.step;
        estimateMs = Math.max(0, perStep * (e.total - e.step));
      }
      return { ...p, stage: e.stage, step: e.step, total: e.total, elapsedMs: e.elapsedMs, estimateMs };
    }
  }
}

/** One fill job as the UI sees it: per-method progress and results. */
export class FillJob {
  readonly jobId: string;
  readonly methods: Method[];
  readonly startedAt = Date.now();
  status = $state<JobStatus>('running');
  error = $state.raw<ApiErrorShape | null>(null);
  /** Replaced on every event; `$state.raw` so result buffers are not proxied. */
  progress = $state.raw<Record<string, MethodProgress>>({});
  private sampleStart = new Map<Method, number>();
  /** What the whole job's time-left estimate works from (lib/eta.ts). */
  readonly plan: EtaPlan;

  constructor(jobId: string, methods: Method[], plan: EtaPlan = { work: null, steps: 0, rates: {} }) {
    this.jobId = jobId;
    this.methods = methods;
    this.plan = plan;
    const p: Record<string, MethodProgress> = {};
    for (const m of methods) {
      p[m] = { method: m, stage: 'queued', step: 0, total: 0, elapsedMs: 0, estimateMs: null, result: null, error: null, at: 0, sampleStartMs: null, sampleEndMs: null, sampleStep: 0, sampleTotal: 0 };
    }
    this.progress = p;
  }

  /** The whole job's time left at page time `now` (every method, every stage). */
  estimate(now = performance.now()): Estimate {
    return estimateJob(this.methods, this.progress as Record<Method, MethodProgress>, this.plan, now);
  }

  get results(): MethodResult[] {
    return this.methods.map((m) => this.progress[m]?.result).filter((r): r is MethodResult => r != null);
  }

  handle(e: JobEvent): void {
    if (e.jobId !== this.jobId) return;
    if (e.method === null) {
      if (e.stage === 'finished') {
        if (this.status === 'running') this.status = 'finished';
      } else if (e.stage === 'error') {
        this.status = 'error';
        this.error = e.error;
      } else if (e.stage === 'canceled') {
        this.status = 'canceled';
        const p = { ...this.progress };
        for (const m of this.methods) p[m] = nextProgress(p[m]!, e, undefined);
        this.progress = p;
      }
      return;
    }
    const cur = this.progress[e.method];
    if (!cur) return;
    if (e.stage === 'sampling' && !this.sampleStart.has(e.method)) this.sampleStart.set(e.method, e.elapsedMs);
    const next = { ...nextProgress(cur, e, this.sampleStart.get(e.method)) };
    next.at = performance.now();
    if (e.stage === 'sampling') {
      next.sampleStartMs = this.sampleStart.get(e.method) ?? null;
      next.sampleEndMs = e.elapsedMs;
      next.sampleStep = e.step;
      next.sampleTotal = e.total;
    }
    this.progress = { ...this.progress, [e.method]: next };
    if (e.stage === 'error') {
      this.error = e.error;
      if (this.methods.every((m) => ['done', 'error', 'canceled'].includes(this.progress[m]!.stage))) this.status = 'error';
    }
    if (e.stage === 'canceled' && this.status === 'running') this.status = 'canceled';
  }
}

/** Tracks the current fill. The page names each job before asking for it, so every event finds its job. */
export class JobTracker {
  current = $state.raw<FillJob | null>(null);

  running = $derived(this.current?.status === 'running');

  begin(jobId: string, methods: Method[], plan?: EtaPlan): FillJob {
    const job = new FillJob(jobId, methods, plan);
    this.current = job;
    return job;
  }

  handle(e: JobEvent): void {
    if (this.current?.jobId === e.jobId) this.current.handle(e);
  }

  clear(): void {
    this.current = null;
  }
}
