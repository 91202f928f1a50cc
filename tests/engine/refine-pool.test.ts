/**
 * The refinement workers (electron/engine/jobs/refinePool.ts), with the worker script built from the sources
 * as the build builds it: the same pixels as in the calling thread, the calling thread free meanwhile, a
 * cancel that ends a running refinement, and a runtime where workers do not start.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../electron/shared/contract.js';
import { cropPixels, pastePixels, type Pixels } from '../../electron/engine/image/pixels.js';
import type { RefineJob } from '../../electron/engine/image/refine.js';
import { RefinePool } from '../../electron/engine/jobs/refinePool.js';
import { RegionBases } from '../../electron/engine/regionBases.js';
import { photo, ROOT, tempDir } from './helpers.js';

let image: Pixels;
let script: URL;
const tmp = tempDir();
beforeAll(async () => {
  image = await photo();
  const outfile = join(tmp.dir, 'refine-worker.mjs');
  await build({ entryPoints: [join(ROOT, 'electron/engine/image/refineWorker.ts')], outfile, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });
  script = pathToFileURL(outfile);
});
afterAll(() => tmp.cleanup());

/**
 * The photo's top-left 200 x 160 with a 90 x 70 hole painted flat grey (a coarse fill's stand-in), two
 * samples; `large`: the photo tiled 2 x 2 (512 x 384) with a 300 x 220 hole, several times the work.
 */
function job(large = false): RefineJob {
  const [w, h] = large ? [512, 384] : [200, 160];
  const around = large ? tiled(2) : cropPixels(image, 0, 0, w, h);
  const mask = new Uint8Array(w * h);
  const [x0, y0, hw, hh] = large ? [100, 80, 300, 220] : [55, 45, 90, 70];
  for (let y = y0; y < y0 + hh; y++) mask.fill(1, y * w + x0, y * w + x0 + hw);
  const works = [0, 1].map(() => {
    const work = cropPixels(around, 0, 0, w, h);
    for (let i = 0; i < mask.length; i++) if (mask[i]) work.data.fill(128, i * 4, i * 4 + 3);
    return work;
  });
  return { around, mask, works, seeds: [7, 8], anchor: true, texture: 1 };
}

/** Runs a job on a pool, its area as its pixels. */
function refine(pool: RefinePool, j: RefineJob, signal?: AbortSignal) {
  return pool.run(j.around.width * j.around.height, () => j, signal);
}

function tiled(n: number): Pixels {
  const out: Pixels = { width: image.width * n, height: image.height * n, data: new Uint8Array(image.width * n * image.height * n * 4) };
  for (let ty = 0; ty < n; ty++) for (let tx = 0; tx < n; tx++) pastePixels(out, image, tx * image.width, ty * image.height);
  return out;
}

describe('refinement workers', () => {
  it('refine to the same pixels as the calling thread, while the calling thread goes on', async () => {
    const inline = job();
    const here = await refine(new RefinePool(null, 1), inline);
    const pool = new RefinePool(script, 2);
    const threaded = job();
    let ticked = false;
    setImmediate(() => (ticked = true));
    const there = await refine(pool, threaded);
    // the calling thread's own work ran before the refinement came back
    expect(ticked).toBe(true);
    expect(pool.threaded).toBe(true);
    expect({ ...there, anchorMs: 0, textureMs: 0, parallelRounds: 0 }).toEqual({ ...here, anchorMs: 0, textureMs: 0, parallelRounds: 0 });
    // the worker's patch search ran its bands on two threads (a core was free), the calling thread's one after the other
    expect(there.parallelRounds).toBeGreaterThan(0);
    expect(here.parallelRounds).toBe(0);
    expect(here.anchored && here.textured).toBe(true);
    threaded.works.forEach((w, b) => expect(Buffer.from(w.data).equals(Buffer.from(inline.works[b].data))).toBe(true));
    // and the fill changed the hole (two seeds: two different completions)
    expect(Buffer.from(inline.works[0].data).equals(Buffer.from(inline.works[1].data))).toBe(false);
  });

  it('computes an anchor basis on a worker once for two methods, to the pixels a refinement computing its own gives', async () => {
    const reference = job();
    await refine(new RefinePool(null, 1), reference);
    const pool = new RefinePool(script, 2);
    const area = { width: reference.around.width, height: reference.around.height, data: new Uint8Array(reference.mask.length) };
    reference.mask.forEach((v, i) => (area.data[i] = v * 255));
    const region = { box: { x0: 55, y0: 45, x1: 145, y1: 115 }, tiles: [{ x: 0, y: 0, size: 160 }, { x: 40, y: 0, size: 160 }] };
    // two users (the methods of a compare fill): one computation, each refinement moving its basis to its worker
    const bases = new RegionBases([undefined, undefined], pool);
    const prepare = vi.spyOn(pool, 'prepareBasis');
    bases.start(reference.around, area, [region]);
    bases.start(reference.around, area, [region]);
    expect(prepare).toHaveBeenCalledTimes(1);
    const jobs = [job(), job()];
    for (const j of jobs) {
      const { basis, ms } = await bases.take(0);
      expect(basis).not.toBeNull();
      await refine(pool, { ...j, basis });
      j.works.forEach((w, b) => expect(Buffer.from(w.data).equals(Buffer.from(reference.works[b].data))).toBe(true));
      expect(ms > 0).toBe(j === jobs[0]); // its time counts once, for the first
    }
    expect(prepare).toHaveBeenCalledTimes(1);
  });

  it('goes on computing a basis while one of its users is canceled, and stops it when every user is', async () => {
    const pool = new RefinePool(script, 2);
    const j = job(true);
    const area = { width: j.around.width, height: j.around.height, data: Uint8Array.from(j.mask, (v) => v * 255) };
    const region = { box: { x0: 100, y0: 80, x1: 400, y1: 300 }, tiles: [{ x: 0, y: 0, size: 384 }, { x: 128, y: 0, size: 384 }] };
    const [a, b] = [new AbortController(), new AbortController()];
    const shared = new RegionBases([a.signal, b.signal], pool);
    shared.start(j.around, area, [region]);
    a.abort();
    expect((await shared.take(0)).basis).not.toBeNull();
    const stopped = new RegionBases([a.signal, b.signal], pool);
    const c = new AbortController();
    const both = new RegionBases([a.signal, c.signal], pool);
    both.start(j.around, area, [region]);
    c.abort();
    await expect(both.take(0)).rejects.toThrow('canceled');
    // its worker was ended and its core given back
    expect(pool.freeCores).toBe(2);
    b.abort();
    stopped.start(j.around, area, [region]);
    await expect(stopped.take(0)).rejects.toThrow('canceled');
  });

  it('refines jobs side by side, and a cancel ends a running refinement at once and leaves the pool working', async () => {
    const pool = new RefinePool(script, 2);
    const reference = job();
    await refine(new RefinePool(null, 1), reference);
    const jobs = [job(), job(true), job()];
    const controller = new AbortController();
    const running = jobs.map((j, i) => refine(pool, j, i === 1 ? controller.signal : undefined));
    // the large job is running on the second worker when the small one on the first is done: canceled then
    await running[0];
    controller.abort();
    const settled = await Promise.allSettled(running);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const reason = (settled[1] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(ApiError);
    expect((reason as ApiError).code).toBe('CANCELED');
    for (const i of [0, 2]) expect(Buffer.from(jobs[i].works[0].data).equals(Buffer.from(reference.works[0].data))).toBe(true);
    // the canceled job's worker was ended; the next job gets a new one
    const again = job();
    await refine(pool, again);
    expect(Buffer.from(again.works[1].data).equals(Buffer.from(reference.works[1].data))).toBe(true);
  });

  it('runs a search on a helper thread only while a core is free, and gets back the one a canceled search held', async () => {
    const pool = new RefinePool(script, 2);
    const controller = new AbortController();
    const large = refine(pool, job(true), controller.signal);
    // canceled while its search runs on both cores (its own and its helper's)
    while (pool.freeCores > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await expect(large).rejects.toThrow('canceled');
    expect(pool.freeCores).toBe(2);
    // alone on the pool, a job's search runs on two threads; beside a model stage holding a core, on one
    expect((await refine(pool, job())).parallelRounds).toBeGreaterThan(0);
    let release = () => {};
    const held = pool.holdingCore(() => new Promise<void>((resolve) => (release = resolve)));
    expect(pool.freeCores).toBe(1);
    expect((await refine(pool, job())).parallelRounds).toBe(0);
    release();
    await held;
    expect(pool.freeCores).toBe(2);
  });

  it('refines side by side only what fits in its pixel budget, building each job when it can run', async () => {
    const order = async (budget: number) => {
      const pool = new RefinePool(script, 2, budget);
      const events: string[] = [];
      await Promise.all(['a', 'b'].map((name) => pool.run(200 * 160, () => (events.push(`build ${name}`), job()), undefined).then(() => events.push(`done ${name}`))));
      return { events, peak: pool.peakPixels };
    };
    // two 32 000-pixel regions under a budget of 50 000: one after the other, the second built only then
    expect(await order(50_000)).toEqual({ events: ['build a', 'done a', 'build b', 'done b'], peak: 32_000 });
    const roomy = await order(100_000);
    expect(roomy.peak).toBe(64_000);
    expect(roomy.events.slice(0, 2)).toEqual(['build a', 'build b']);
    // a region larger than the whole budget still runs, alone
    const big = new RefinePool(script, 2, 10_000);
    await refine(big, job());
    expect(big.peakPixels).toBe(32_000);
  });

  it('refines in the calling thread where workers cannot start (a script that fails to load)', async () => {
    const broken = join(tmp.dir, 'broken-worker.mjs');
    writeFileSync(broken, "throw new Error('this runtime cannot run the worker');\n");
    const pool = new RefinePool(pathToFileURL(broken), 2);
    const reference = job();
    await refine(new RefinePool(null, 1), reference);
    const j = job();
    await refine(pool, j);
    expect(pool.threaded).toBe(false);
    expect(Buffer.from(j.works[0].data).equals(Buffer.from(reference.works[0].data))).toBe(true);
  });
});
