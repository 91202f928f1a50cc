/**
 * Entry of a refinement worker thread (bundled beside each engine bundle as refine-worker.mjs): refines the
 * regions it is sent, one at a time, and sends the refined pixels back (their buffers transferred, not copied).
 */
import { parentPort } from 'node:worker_threads';
import { refineRegion, type RefineJob } from './refine.js';

const port = parentPort;
if (!port) throw new Error('refine-worker.mjs runs as a worker thread');
port.on('message', (job: RefineJob) => {
  try {
    const result = refineRegion(job);
    port.postMessage({ result, works: job.works }, job.works.map((w) => w.data.buffer as ArrayBuffer));
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
