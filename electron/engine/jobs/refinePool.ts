/**
 * Worker threads for the refinement stages (colour anchoring and photo texture), which are plain
 * TypeScript over typed arrays and take seconds on a large hole. In a worker they leave the engine's
 * thread free: the other method's model calls, progress events and other requests go on meanwhile, the
 * regions of a fill and the methods of a compare fill are refined side by side on as many cores, and a
 * cancel stops a refinement at once (its worker is terminated) instead of after it.
 *
 * The workers run `refine-worker.mjs`, which the build puts beside each engine bundle (the CLI, serve and
 * the desktop engine process). Without it (the engine run from its TypeScript sources, as the unit tests
 * do) a job runs in the calling thread: the same function, the same pixels.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ApiError } from '../../shared/contract.js';
import { Limiter } from './limiter.js';
import { YOUNG_GENERATION_MB } from './threadLimits.js';
import { refineRegion, type RefineJob, type RefineResult } from '../image/refine.js';
import { basisBuffers, timedAnchorBasis, type PreparedBasis } from '../image/anchor.js';
import type { Pixels } from '../image/pixels.js';

/** Most workers: each holds its region's buffers (tens of MB on a large hole). */
const MAX_WORKERS = 4;
/**
 * Most pixels (of the regions' areas) refined at once; a larger region is refined alone. A region's
 * refinement holds well over 100 bytes per pixel of its area (planar float copies, the pyramid, the patch
 * lists), so two methods refining one 12 MP region side by side would double what refining them in turn
 * needs; regions up to a few megapixels, the common case, still run side by side.
 */
const PIXEL_BUDGET = 8_000_000;

/** The known pixels and mask of a region whose anchor basis is computed ahead of its refinement. */
export interface BasisJob {
  around: Pixels;
  mask: Uint8Array;
}

/** What a worker is sent: a region to refine, or one whose anchor basis to compute. */
export type WorkerTask = { refine: RefineJob } | { basis: BasisJob };
type RefineReply = { result: RefineResult; works: Pixels[] };
type Reply = RefineReply | PreparedBasis | { error: string };

/**
 * A task for a worker: its buffers moved there (`transfer`), what its answer (`R`) gives (`take`), and the
 * same in the calling thread where workers do not start (`here`; `sent`: after a worker that failed to start
 * was sent the task).
 */
interface WorkerCall<R, T> {
  task: WorkerTask;
  transfer: ArrayBuffer[];
  here: (sent: boolean) => T;
  take: (reply: R) => T;
}

/** What a refinement worker is started with (workerData): the pool's free cores, and its own helper's claim on one (jobs/bandThreads.ts). */
export interface RefineWorkerData {
  free: Int32Array;
  helping: Int32Array;
  /** The pool's size: with one core there is never one free for a helper. */
  cores: number;
}

export class RefinePool {
  private readonly idle: Worker[] = [];
  /** Workers that have answered a job: a failure of any other is taken as workers not starting here. */
  private readonly proven = new WeakSet<Worker>();
  /** Jobs on a worker, one each. */
  private readonly workers: Limiter;
  /** Pixels of the jobs admitted and not yet done, and the jobs waiting for room. */
  private activePixels = 0;
  private readonly waitingForRoom: (() => void)[] = [];
  /** The most pixels refined at once (for tests and the reliability report). */
  peakPixels = 0;
  /**
   * Cores that no job refines on, shared with the workers: each job holds one, and a worker's helper thread
   * takes one more when it is free. Its size when nothing runs.
   */
  private readonly free = new Int32Array(new SharedArrayBuffer(4));
  /** Each worker's flag: its helper holds one of the free cores. */
  private readonly helping = new WeakMap<Worker, Int32Array>();

  constructor(
    /** The worker script, or null to run every job in the calling thread. */
    private script: URL | null,
    readonly size: number,
    readonly pixelBudget: number = PIXEL_BUDGET,
  ) {
    this.workers = new Limiter(size);
    this.free[0] = size;
  }

  /** The pool of the running bundle: its refine-worker.mjs, one worker per core up to MAX_WORKERS. */
  static forThisBundle(): RefinePool {
    const script = new URL('./refine-worker.mjs', import.meta.url);
    return new RefinePool(existsSync(fileURLToPath(script)) ? script : null, Math.max(1, Math.min(MAX_WORKERS, availableParallelism())));
  }

  /** Cores that nothing refines on and no model stage holds (can be below 0 while more run than there are cores). */
  get freeCores(): number {
    return Atomics.load(this.free, 0);
  }

  get threaded(): boolean {
    return this.script !== null;
  }

  /**
   * Refines one region of `pixels` pixels (its area), once there is room for them under the pixel budget:
   * `build` makes the job then (its buffers are allocated only when it can run), and its `works` are refined
   * in place (their pixels copied back from the worker).
   */
  run(pixels: number, build: () => RefineJob, signal?: AbortSignal): Promise<RefineResult> {
    return this.admitted(pixels, signal, () => {
      const job = build();
      // a basis computed ahead moves to the worker; one that a failed worker took is computed here again
      const here = (sent: boolean) => refineRegion(sent ? { ...job, basis: undefined } : job);
      const take = (reply: RefineReply): RefineResult => {
        reply.works.forEach((w, b) => job.works[b].data.set(w.data));
        return reply.result;
      };
      return this.onWorker({ task: { refine: job }, transfer: basisBuffers(job.basis ?? null), here, take }, signal);
    });
  }

  /**
   * Computes the anchor basis of one region of `pixels` pixels (colour anchoring's interpolation of its known
   * pixels, anchor.ts), under the same pixel budget: the methods of a compare fill share it (regionBases.ts).
   */
  prepareBasis(pixels: number, build: () => BasisJob, signal?: AbortSignal): Promise<PreparedBasis> {
    return this.admitted(pixels, signal, () => {
      const job = build();
      const here = () => timedAnchorBasis(job.around, job.mask);
      return this.onWorker({ task: { basis: job }, transfer: [], here, take: (reply: PreparedBasis) => reply }, signal);
    });
  }

  /**
   * Runs `work`, the model stages of a fill (which keep every core busy), holding one of the free cores: a
   * worker refining the other method's fill meanwhile runs its search without a helper thread.
   */
  async holdingCore<T>(work: () => Promise<T>): Promise<T> {
    Atomics.sub(this.free, 0, 1);
    try {
      return await work();
    } finally {
      Atomics.add(this.free, 0, 1);
    }
  }

  /** Runs `work` once there is room for `pixels` pixels under the pixel budget. */
  private async admitted<T>(pixels: number, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    await this.admit(pixels, signal);
    try {
      return await work();
    } finally {
      this.activePixels -= pixels;
      this.waitingForRoom.splice(0).forEach((wake) => wake());
    }
  }

  /** Waits for room under the pixel budget (a job larger than all of it waits until nothing runs). */
  private async admit(pixels: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw canceled();
      if (this.activePixels === 0 || this.activePixels + pixels <= this.pixelBudget) break;
      await new Promise<void>((resolve) => this.waitingForRoom.push(resolve));
    }
    this.activePixels += pixels;
    this.peakPixels = Math.max(this.peakPixels, this.activePixels);
  }

  /** Runs a call's task on an idle or new worker (the `workers` limiter keeps them at most `size`), or `here`. */
  private async onWorker<R, T>(call: WorkerCall<R, T>, signal: AbortSignal | undefined): Promise<T> {
    return this.script ? this.workers.run(() => this.exchangeOnWorker(call, signal)) : call.here(false);
  }

  private async exchangeOnWorker<R, T>({ task, transfer, here, take }: WorkerCall<R, T>, signal: AbortSignal | undefined): Promise<T> {
    if (signal?.aborted) throw canceled();
    const worker = this.acquire();
    if (!worker) return here(false);
    let reusable = false;
    Atomics.sub(this.free, 0, 1);
    try {
      let reply: Reply;
      try {
        reply = await this.exchange(worker, task, transfer, signal);
      } catch (err) {
        if (signal?.aborted || this.proven.has(worker)) throw err;
        this.cannotStart();
        return here(true);
      }
      reusable = true;
      this.proven.add(worker);
      if ('error' in reply) throw new ApiError('ENGINE_FAILURE', `the refinement stages failed: ${reply.error}`);
      // a worker answers a task with its kind of reply (refineWorker.ts)
      return take(reply as R);
    } finally {
      Atomics.add(this.free, 0, 1);
      this.release(worker, reusable);
    }
  }

  /**
   * Workers do not start here (a runtime without them, a script it cannot load: a new worker failed before
   * its first answer): this process refines in the calling thread from now on.
   */
  private cannotStart(): void {
    this.script = null;
  }

  /** An idle or new worker; null when workers cannot start here. */
  private acquire(): Worker | null {
    const idle = this.idle.pop();
    if (idle || !this.script) return idle ?? null;
    try {
      const helping = new Int32Array(new SharedArrayBuffer(4));
      const workerData: RefineWorkerData = { free: this.free, helping, cores: this.size };
      const worker = new Worker(this.script, { workerData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      this.helping.set(worker, helping);
      return worker;
    } catch {
      this.cannotStart();
      return null;
    }
  }

  /**
   * A worker that answered goes back idle; one that failed or was canceled is ended, and a core its helper
   * held mid-round is free again.
   */
  private release(worker: Worker, reusable: boolean): void {
    if (reusable) {
      worker.unref(); // an idle worker does not keep the process alive
      this.idle.push(worker);
      return;
    }
    void worker.terminate();
    const helping = this.helping.get(worker);
    if (helping && Atomics.exchange(helping, 0, 0)) Atomics.add(this.free, 0, 1);
  }

  /** Sends the task (copied, but for the `transfer` buffers: the caller keeps its works) and waits for the reply. */
  private exchange(worker: Worker, task: WorkerTask, transfer: ArrayBuffer[], signal?: AbortSignal): Promise<Reply> {
    worker.ref(); // a busy worker keeps the process alive until it answers
    return new Promise<Reply>((resolve, reject) => {
      if (signal?.aborted) return reject(canceled()); // while it waited for a worker
      const done = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
      };
      const onMessage = (reply: Reply): void => {
        done();
        resolve(reply);
      };
      const onError = (err: Error): void => {
        done();
        reject(new ApiError('ENGINE_FAILURE', `a refinement worker failed: ${err.message}`));
      };
      const onExit = (code: number): void => {
        done();
        reject(new ApiError('ENGINE_FAILURE', `a refinement worker stopped (exit code ${code})`));
      };
      const onAbort = (): void => {
        done();
        reject(canceled());
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
      // a detached buffer in the list (one moved elsewhere before) has Node drop the message without a word
      worker.postMessage(task, transfer.filter((buffer) => buffer.byteLength > 0));
    });
  }
}

function canceled(): ApiError {
  return new ApiError('CANCELED', 'the fill was canceled');
}

/** The process's pool: the engines of a process share its cores. */
export const refinePool = RefinePool.forThisBundle();
