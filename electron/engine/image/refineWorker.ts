/**
 * Entry of a refinement worker thread (bundled beside each engine bundle as refine-worker.mjs): refines the
 * regions it is sent, one at a time, and sends the refined pixels back (their buffers transferred, not copied);
 * or computes a region's anchor basis ahead of its refinement, and sends it back the same way.
 * Started in the `bands` role, the same script is a worker's helper thread for the photo texture's search
 * (jobs/bandThreads.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { HelperBands, serveBands, type BandHelperData } from '../jobs/bandThreads.js';
import type { RefineWorkerData, WorkerTask } from '../jobs/refinePool.js';
import { basisBuffers, timedAnchorBasis } from './anchor.js';
import { maskCount } from './composite.js';
import { MIN_SHARED_TARGETS, serialBands } from './patchSearch.js';
import { refineRegion } from './refine.js';

// A full collection after each job: V8 collects a worker's dead typed arrays (a region's planar copies,
// pyramid and patch lists: tens of MB) only under its own heap pressure, so idle workers kept them. With it
// the serve process filling a 12 MP photo, both methods, 40 times, stays at 433-459 MB resident, against
// 529-535 without (354-364 before the workers). `gc` is V8's, exposed in a context of its own.
setFlagsFromString('--expose-gc');
const gc: unknown = runInNewContext('gc');
const collect = typeof gc === 'function' ? (gc as () => void) : () => undefined;
const port = parentPort;
if (!port) throw new Error('refine-worker.mjs runs as a worker thread');
const data = workerData as RefineWorkerData | BandHelperData | undefined;
if (data && 'role' in data) serveBands(port, data, collect);
else {
  const helped = data && data.cores > 1 ? new HelperBands(new URL(import.meta.url), data.free, data.helping) : null;
  port.on('message', (task: WorkerTask) => {
    if ('basis' in task) {
      const { around, mask } = task.basis;
      return answer(port, () => {
        const prepared = timedAnchorBasis(around, mask);
        return [prepared, basisBuffers(prepared.basis)];
      });
    }
    const job = task.refine;
    if (job.texture > 0 && maskCount(job.mask) >= MIN_SHARED_TARGETS) helped?.prepare();
    const bands = helped ?? serialBands;
    answer(port, () => [{ result: refineRegion(job, bands), works: job.works }, job.works.map((w) => w.data.buffer as ArrayBuffer)]);
    helped?.collect();
  });
}

/** Sends the reply `make` returns (the buffers listed transferred), or the error it threw; then collects. */
function answer(port: NonNullable<typeof parentPort>, make: () => [object, ArrayBuffer[]]): void {
  try {
    port.postMessage(...make());
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
  collect();
}
