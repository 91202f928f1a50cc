/**
 * Where serve memory goes over many fills (issue 8): the engine service in this process, the fills the
 * serve-load suite sends, and after `gc()` the process's resident size beside the JS heap, external and
 * ArrayBuffer memory. A growing heap is a JS leak (then take heap snapshots); a flat heap under a growing
 * resident size is native memory (onnxruntime, sharp, the allocator). Run by scripts/memory-probe.mjs.
 * Arguments: pack folder, fills, photo size WxH, method.
 */
import { createEngineService } from '../../electron/engine/service.js';
import { DEFAULT_SETTINGS, type FillRequest, type JobEvent, type Method } from '../../electron/shared/contract.js';

const [packDir = 'models/tiny', fills = '1000', size = '192x160', method = 'vqddm'] = process.argv.slice(2);
const N = Number(fills);
const [W, H] = size.split('x').map(Number) as [number, number];
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function request(): FillRequest {
  const data = new Uint8Array(W * H * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7) % 251));
  const mask = new Uint8Array(W * H);
  const x0 = Math.round(W * 0.36), y0 = Math.round(H * 0.375), w = Math.max(40, Math.round(W * 0.2)), h = Math.max(30, Math.round(H * 0.19));
  for (let y = y0; y < y0 + h; y++) mask.fill(255, y * W + x0, y * W + x0 + w);
  return { image: { width: W, height: H, data }, mask: { width: W, height: H, data: mask }, settings: { ...DEFAULT_SETTINGS, methods: [method as Method], steps: 2 } };
}

const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
const svc = await createEngineService({ packDir });
const ends = new Map<string, (e: JobEvent) => void>();
svc.onJobEvent((e) => {
  if (e.stage === 'error' || (e.method === null && (e.stage === 'finished' || e.stage === 'canceled'))) ends.get(e.jobId)?.(e);
});
const t0 = Date.now();
for (let i = 1; i <= N; i++) {
  const ended = new Promise<JobEvent>((resolve) => ends.set(`f${i}`, resolve));
  await svc.fill(request(), `f${i}`);
  const e = await ended;
  ends.delete(`f${i}`);
  if (e.stage !== 'finished') throw new Error(`fill ${i} ended ${e.stage}`);
  if (i === 10 || i % Math.max(1, Math.floor(N / 10)) === 0) {
    gc();
    const m = process.memoryUsage();
    console.log(JSON.stringify({ fills: i, seconds: Math.round((Date.now() - t0) / 1000), rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) }));
  }
}
await svc.dispose();
