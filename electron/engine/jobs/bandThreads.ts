/**
 * The photo-texture search's bands (image/patchSearch.ts) on two threads. A refinement worker runs the first
 * band of each round itself and hands the last to a helper thread of its own, while a core is free: `free`
 * is the pool's count of cores that nothing refines on, shared by its workers (jobs/refinePool.ts), so two
 * regions refining side by side on two cores do not start two more threads. The bands find the same field
 * on one thread or two, so a fill's pixels do not depend on how busy the machine was.
 *
 * The round is synchronous, as the completion is: the worker waits for the helper's band with Atomics.wait
 * (allowed off the main thread), and reads a failure's message with receiveMessageOnPort.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { YOUNG_GENERATION_MB } from './threadLimits.js';
import { BANDS, runBand, serialBands, type BandRunner, type BandTask, type SearchArrays } from '../image/patchSearch.js';

/** The helper's state word: a band handed over, done, or failed (its message on the port). */
const PENDING = 0;
const DONE = 1;
const FAILED = 2;
/**
 * The longest the worker waits for the helper's band, as a multiple of the time its own band took (the bands
 * are the same size), and at least WAIT_FLOOR_MS: a helper that has not answered by then has stopped (a
 * thread that did not start), and the round fails with a message rather than hanging the fill.
 */
const WAIT_FACTOR = 20;
const WAIT_FLOOR_MS = 10_000;
/** The message that has the helper collect its garbage. */
const COLLECT = 'collect';

/** What the helper thread is started with (workerData). */
export interface BandHelperData {
  role: 'bands';
  state: Int32Array;
  port: MessagePort;
}

/** A band handed to the helper. */
interface BandMessage {
  s: SearchArrays;
  task: BandTask;
  band: number;
}

export class HelperBands implements BandRunner {
  readonly shares = true;
  /** Rounds whose bands ran on two threads. */
  parallelRounds = 0;
  private helper: { thread: Worker; port: MessagePort } | null = null;
  private readonly state = new Int32Array(new SharedArrayBuffer(4));

  /**
   * `script`: the refinement worker's own script (the helper runs it in its `bands` role); `free`: the pool's
   * free cores; `helping`: 1 while this worker's helper holds one of them (the pool gives it back when it
   * ends this worker mid-round).
   */
  constructor(private readonly script: URL, private readonly free: Int32Array, private readonly helping: Int32Array) {}

  run(s: SearchArrays, task: BandTask): void {
    Atomics.store(this.helping, 0, 1);
    if (!takeCore(this.free)) {
      Atomics.store(this.helping, 0, 0);
      serialBands.run(s, task);
      return;
    }
    try {
      const helper = this.helperThread();
      Atomics.store(this.state, 0, PENDING);
      helper.thread.postMessage({ s, task, band: BANDS - 1 } satisfies BandMessage);
      const t0 = performance.now();
      for (let b = 0; b < BANDS - 1; b++) runBand(s, task, b);
      const limit = Math.max(WAIT_FLOOR_MS, WAIT_FACTOR * (performance.now() - t0));
      if (Atomics.wait(this.state, 0, PENDING, limit) === 'timed-out') {
        void helper.thread.terminate();
        this.helper = null;
        throw new Error(`the photo texture's second thread did not finish its band within ${Math.round(limit)} ms`);
      }
      if (Atomics.load(this.state, 0) === FAILED) {
        const message = receiveMessageOnPort(helper.port)?.message as string | undefined;
        throw new Error(`the photo texture's second thread failed: ${message ?? 'no message'}`);
      }
      this.parallelRounds++;
    } finally {
      Atomics.add(this.free, 0, 1);
      Atomics.store(this.helping, 0, 0);
    }
  }

  /**
   * Has the helper collect its garbage (after a job): it holds the job's shared arrays through the messages
   * it was sent until its own heap is collected, which a heap as small as its own seldom is.
   */
  collect(): void {
    this.helper?.thread.postMessage(COLLECT);
  }

  /**
   * Starts the helper thread ahead of the first round while a core is free, so that its start (loading the
   * script: about 130 ms of the first round's wait on a 1 MP photo, when it started there) overlaps the
   * colour anchoring. With no core free (the other method's model stage holds it) it starts at the first
   * round that gets one, not beside that model stage.
   */
  prepare(): void {
    if (Atomics.load(this.free, 0) > 0) this.helperThread();
  }

  private helperThread(): { thread: Worker; port: MessagePort } {
    if (this.helper) return this.helper;
    const { port1, port2 } = new MessageChannel();
    const workerData: BandHelperData = { role: 'bands', state: this.state, port: port2 };
    const thread = new Worker(this.script, { workerData, transferList: [port2], resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    thread.unref(); // it ends with its worker
    this.helper = { thread, port: port1 };
    return this.helper;
  }
}

/** A free core, taken (false when none is). */
function takeCore(free: Int32Array): boolean {
  for (;;) {
    const v = Atomics.load(free, 0);
    if (v <= 0) return false;
    if (Atomics.compareExchange(free, 0, v, v - 1) === v) return true;
  }
}

/** The helper thread's side: runs each band it is handed and says when it is done; `collect`: a full collection. */
export function serveBands(parent: MessagePort, data: BandHelperData, collect: () => void): void {
  parent.on('message', (message: BandMessage | typeof COLLECT) => {
    if (message === COLLECT) return collect();
    const { s, task, band } = message;
    let outcome = DONE;
    try {
      runBand(s, task, band);
    } catch (err) {
      outcome = FAILED;
      data.port.postMessage(err instanceof Error ? err.stack ?? err.message : String(err));
    }
    Atomics.store(data.state, 0, outcome);
    Atomics.notify(data.state, 0);
  });
}
