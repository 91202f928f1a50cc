import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../electron/engine/engine.js';
import type { Pixels } from '../../electron/engine/image/pixels.js';
import { applyPatches, type PipelineOutput } from '../../electron/engine/pipeline.js';
import { refinePool } from '../../electron/engine/jobs/refinePool.js';
import { changedOutside, photo, rectMask, TINY_PACK } from './helpers.js';

let engine: Engine;
let image: Pixels;
beforeAll(async () => {
  engine = await Engine.open(TINY_PACK, 'cpu');
  image = await photo();
});
afterAll(() => engine.dispose());

/** Runs a fill and records the codes each of its decodes was given: the sampler's output, before any pixels. */
async function withCodes(fill: () => Promise<PipelineOutput>): Promise<{ out: PipelineOutput; codes: Int32Array[] }> {
  const spies = [vi.spyOn(engine.models, 'decode'), vi.spyOn(engine.models, 'decodeGuided')];
  try {
    const out = await fill();
    const codes = spies.flatMap((s) => s.mock.calls.map((args) => Int32Array.from(args[0])));
    return { out, codes };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

describe('fill pipeline', () => {
  const mask = () => rectMask(image.width, image.height, 100, 70, 30, 24);

  for (const method of ['vqddm', 'transformer'] as const) {
    it(`${method}: changes masked pixels and leaves every other pixel bit-identical`, async () => {
      const m = mask();
      const out = await engine.fill(image, m, engine.settings({ methods: [method], steps: 5 }), method);
      const filled = applyPatches(image, out.samples[0].patches);
      expect(changedOutside(filled, image, m)).toBe(0);
      let changedInside = 0;
      for (let i = 0; i < m.data.length; i++) if (m.data[i] && filled.data[i * 4] !== image.data[i * 4]) changedInside++;
      expect(changedInside).toBeGreaterThan(100);
      expect(out.timings.total).toBeGreaterThan(0);
      expect(out.timings.modelRun).toBeLessThanOrEqual(out.timings.total);
    });

    it(`${method}: sees nothing of what lies under the mask (a thin stroke and a box; every stage, and stages off)`, async () => {
      // two photos that differ only under the mask: every fill of them must be the same, pixel for pixel. The
      // paste used to blend the fill with the pixels under the mask within a few px of its edge, so a
      // brushed-out tripod leg came back as a ghost and the fills were scored with the truth mixed in.
      const m = rectMask(image.width, image.height, 60, 40, 90, 50);
      // the stroke is longer than the photo's short side: overlapping crops, the later feathered into the earlier
      for (let y = 100; y < 106; y++) for (let x = 4; x < 252; x++) m.data[y * m.width + x] = 255;
      const other = { ...image, data: Uint8Array.from(image.data) };
      for (let i = 0; i < m.data.length; i++) if (m.data[i] >= 128) other.data.set([255, 0, 255], i * 4);
      for (const stages of [{}, { anchorColours: false, photoTexture: false }]) {
        const settings = engine.settings({ methods: [method], steps: 4, seed: 5, ...stages });
        const a = applyPatches(image, (await engine.fill(image, m, settings, method)).samples[0].patches);
        const b = applyPatches(other, (await engine.fill(other, m, settings, method)).samples[0].patches);
        expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
      }
    });

    it(`${method}: the raw fill (every stage off) meets the photo at the mask's edge without a step`, async () => {
      // The mean step, per channel, from the known pixels to their neighbours on the hole's edge, against the
      // photo's own there (signed, so the fill's texture averages out and a colour step does not): the
      // decode is blended into the pixels round the hole at the photo's scale. (Blended at the model's
      // scale, where the error is known only 10-15 px out, the tiny pack's fills stepped 18-122 levels; now
      // under 7, the random decoder's own texture.)
      const m = rectMask(image.width, image.height, 60, 40, 90, 50);
      const settings = engine.settings({ methods: [method], steps: 4, seed: 3, guidedDecoder: false, anchorColours: false, photoTexture: false });
      const filled = applyPatches(image, (await engine.fill(image, m, settings, method)).samples[0].patches);
      const step = (img: Pixels) => {
        const sum = [0, 0, 0];
        let n = 0;
        for (let y = 1; y < m.height - 1; y++) {
          for (let x = 1; x < m.width - 1; x++) {
            const i = y * m.width + x;
            if (m.data[i] < 128) continue;
            for (const j of [i - 1, i + 1, i - m.width, i + m.width]) {
              if (m.data[j] >= 128) continue;
              for (let c = 0; c < 3; c++) sum[c] += img.data[i * 4 + c] - img.data[j * 4 + c];
              n++;
            }
          }
        }
        return sum.map((v) => v / n);
      };
      const own = step(image);
      step(filled).forEach((v, c) => expect(Math.abs(v - own[c])).toBeLessThan(10));
    });

    it(`${method}: same seed gives the same pixels, another seed others`, async () => {
      const settings = engine.settings({ methods: [method], steps: 4, seed: 7 });
      const a = await engine.fill(image, mask(), settings, method);
      const b = await engine.fill(image, mask(), settings, method);
      const c = await engine.fill(image, mask(), { ...settings, seed: 8 }, method);
      expect(Buffer.from(a.samples[0].patches[0].pixels.data)).toEqual(Buffer.from(b.samples[0].patches[0].pixels.data));
      expect(Buffer.from(a.samples[0].patches[0].pixels.data)).not.toEqual(Buffer.from(c.samples[0].patches[0].pixels.data));
    });
  }

  it('batches samples: one model call per step for all of them', async () => {
    const one = await engine.fill(image, mask(), engine.settings({ methods: ['vqddm'], steps: 6, samples: 1 }), 'vqddm');
    const four = await engine.fill(image, mask(), engine.settings({ methods: ['vqddm'], steps: 6, samples: 4 }), 'vqddm');
    expect(one.modelCalls).toBe(6);
    expect(four.modelCalls).toBe(6);
    expect(four.samples.map((s) => s.seed)).toEqual([1, 2, 3, 4]);
    expect(Buffer.from(four.samples[0].patches[0].pixels.data)).not.toEqual(Buffer.from(four.samples[1].patches[0].pixels.data));
  });

  it('the transformer costs one call per unknown cell with its cache, and recomputes without it: same codes, same pixels', async () => {
    const m = mask();
    const settings = engine.settings({ methods: ['transformer'], samples: 2 });
    const cached = await withCodes(() => engine.fill(image, m, settings, 'transformer'));
    const uncached = await withCodes(() => engine.fill(image, m, settings, 'transformer', { useCache: false }));
    const otherSeed = await withCodes(() => engine.fill(image, m, { ...settings, seed: settings.seed + 100 }, 'transformer'));
    expect(cached.out.modelCalls).toBe(uncached.out.modelCalls);
    expect(cached.out.grids).toEqual([engine.manifest.grid]); // the trained grid: no window, where cache and recompute are the same computation
    // Same seed, same model: the cache changes the cost, not one sampled code.
    expect(cached.codes.length).toBeGreaterThan(0);
    expect(uncached.codes).toEqual(cached.codes);
    // ... so the pixels are the same too, every byte of every sample.
    for (let b = 0; b < settings.samples; b++) {
      const a = cached.out.samples[b].patches.map((p) => Buffer.from(p.pixels.data.buffer, p.pixels.data.byteOffset, p.pixels.data.byteLength));
      const u = uncached.out.samples[b].patches.map((p) => Buffer.from(p.pixels.data.buffer, p.pixels.data.byteOffset, p.pixels.data.byteLength));
      expect(u).toEqual(a);
    }
    // The comparison can see a difference: another seed samples other codes.
    expect(otherSeed.codes).not.toEqual(cached.codes);
  });

  it('reports progress per step and cancels between model calls', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = engine.fill(image, mask(), engine.settings({ methods: ['vqddm'], steps: 10 }), 'vqddm', {
      signal: controller.signal,
      onProgress: (stage, step) => {
        if (stage === 'sampling') {
          seen.push(step);
          if (step === 3) controller.abort();
        }
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELED' });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('a compare fill computes colour anchoring\'s basis once per region for both methods, to the pixels each method alone gives', async () => {
    // two regions: a box and a stroke far from it
    const m = rectMask(image.width, image.height, 10, 10, 20, 16);
    for (let y = 160; y < 165; y++) for (let x = 180; x < 236; x++) m.data[y * m.width + x] = 255;
    const settings = engine.settings({ methods: ['vqddm', 'transformer'], steps: 4, seed: 9 });
    const alone = new Map<string, Pixels>();
    for (const method of ['vqddm', 'transformer'] as const) alone.set(method, applyPatches(image, (await engine.fill(image, m, settings, method)).samples[0].patches));
    const plan = engine.plan(image, m, settings);
    expect(plan.regions.length).toBe(2);
    const prepare = vi.spyOn(refinePool, 'prepareBasis');
    try {
      const together = new Map<string, Pixels>();
      await engine.runEach(plan, ['vqddm', 'transformer'], () => ({}), (method, out) => together.set(method, applyPatches(image, out.samples[0].patches)));
      expect(prepare).toHaveBeenCalledTimes(2);
      for (const method of ['vqddm', 'transformer']) expect(Buffer.from(together.get(method)!.data).equals(Buffer.from(alone.get(method)!.data))).toBe(true);
      // without anchoring none is computed, and one method computes its own in its refinement job
      await engine.runEach(engine.plan(image, m, { ...settings, anchorColours: false }), ['vqddm', 'transformer'], () => ({}), () => {});
      await engine.runEach(engine.plan(image, m, { ...settings, methods: ['vqddm'] }), ['vqddm'], () => ({}), () => {});
      expect(prepare).toHaveBeenCalledTimes(2);
    } finally {
      prepare.mockRestore();
    }
  });

  it('fills a full mask (unconditional generation)', async () => {
    const m = rectMask(image.width, image.height, 0, 0, image.width, image.height);
    const out = await engine.fill(image, m, engine.settings({ methods: ['vqddm'], steps: 3 }), 'vqddm');
    expect(out.samples[0].patches.length).toBeGreaterThan(0);
    expect(out.grids.length).toBeGreaterThan(1); // wider than tall: tiled along the long side
  });

  it('uses the larger grid for a large crop and slides the transformer window over it', async () => {
    const m = rectMask(image.width, image.height, 60, 40, 70, 70);
    const out = await engine.fill(image, m, engine.settings({ methods: ['transformer'] }), 'transformer');
    const max = Math.max(...engine.info().grids);
    expect(out.grids).toEqual([max]);
    const filled = applyPatches(image, out.samples[0].patches);
    expect(changedOutside(filled, image, m)).toBe(0);
  });

  it('keeps 16-bit images at their depth, unmasked pixels identical', async () => {
    const deep: Pixels = { width: image.width, height: image.height, data: Uint16Array.from(image.data, (v) => v * 257 + 3) };
    const m = mask();
    const out = await engine.fill(deep, m, engine.settings({ methods: ['vqddm'], steps: 3 }), 'vqddm');
    const filled = applyPatches(deep, out.samples[0].patches);
    expect(filled.data).toBeInstanceOf(Uint16Array);
    expect(changedOutside(filled, deep, m)).toBe(0);
  });

  it('refuses an empty mask, a mask of another size, and settings out of range', () => {
    const s = engine.settings();
    expect(() => engine.plan(image, rectMask(image.width, image.height, 0, 0, 0, 0), s)).toThrow(/nothing to fill/);
    expect(() => engine.plan(image, rectMask(10, 10, 0, 0, 5, 5), s)).toThrow(/mask is 10x10 but the image is/);
    expect(() => engine.plan(image, mask(), { ...s, steps: engine.info().T + 1 })).toThrow(/steps must be an integer from 1 to/);
    expect(() => engine.plan(image, mask(), { ...s, steps: 0 })).toThrow(/steps/);
    expect(() => engine.plan(image, mask(), { ...s, methods: ['magic' as 'vqddm'] })).toThrow(/unknown method "magic"/);
    expect(() => engine.plan(image, mask(), { ...s, temperature: 0 })).toThrow(/temperature/);
    expect(() => engine.plan(image, mask(), { ...s, truncation: 1.5 })).toThrow(/truncation/);
    expect(() => engine.plan(image, mask(), { ...s, samples: 17 })).toThrow(/samples/);
    expect(() => engine.plan({ ...image, width: 32.5 }, mask(), s)).toThrow(/whole numbers of pixels, got 32\.5x/);
    expect(() => engine.plan(image, mask(), { ...s, methods: ['vqddm', 'vqddm'] })).toThrow(/each method may be asked for once/);
    // a long thin panorama masked end to end: thousands of crops, refused before any work
    const long = { width: 60000, height: 16, data: new Uint8Array(60000 * 16 * 4) };
    expect(() => engine.plan(long, rectMask(long.width, long.height, 0, 0, long.width, 16), s)).toThrow(/needs \d+ crops to fill, more than the limit of 400/);
  });
});
