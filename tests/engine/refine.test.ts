import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.js';
import type { Pixels } from '../../electron/engine/image/pixels.js';
import { applyPatches, DETAIL_MAX_SIDE, DETAIL_STEPS, GUIDED_MAX_SIDE } from '../../electron/engine/pipeline.js';
import { changedOutside, copyOfTinyPack, photo, rectMask, TINY_PACK } from './helpers.js';

let engine: Engine;
let image: Pixels;
beforeAll(async () => {
  engine = await Engine.open(TINY_PACK, 'cpu');
  image = await photo();
});
afterAll(() => engine.dispose());

describe('refinement stages (guided decoder, colour anchoring, photo texture)', () => {
  const mask = () => rectMask(image.width, image.height, 90, 60, 50, 50);

  it('runs both by default, reports them, and leaves unmasked pixels bit-identical', async () => {
    for (const method of ['vqddm', 'transformer'] as const) {
      const out = await engine.fill(image, mask(), engine.settings({ methods: [method], steps: 3 }), method);
      expect(out.stages).toEqual(['coarse', 'guided-decoder', 'colour-anchor', 'photo-texture']);
      expect(out.timings.anchor).toBeGreaterThan(0);
      expect(out.timings.texture).toBeGreaterThan(0);
      expect(changedOutside(applyPatches(image, out.samples[0].patches), image, mask())).toBe(0);
    }
  });

  it('decodes each tile at its own scale with the known pixels, not at the model resolution', async () => {
    const seen: { G: number; D: number; known: number }[] = [];
    const original = engine.models.decodeGuided.bind(engine.models);
    engine.models.decodeGuided = async (codes, B, G, images, masks, D) => {
      let known = 0;
      for (let i = 0; i < D * D; i++) if (masks[i] === 0) known++;
      seen.push({ G, D, known });
      return original(codes, B, G, images, masks, D);
    };
    try {
      // a 90 px hole: a crop of about 180 px, sampled on grid 32 (128 px)
      await engine.fill(image, rectMask(image.width, image.height, 60, 40, 90, 90), engine.settings({ methods: ['vqddm'], steps: 2, anchorColours: false, photoTexture: false }), 'vqddm');
    } finally {
      engine.models.decodeGuided = original;
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) {
      expect(s.D).toBeGreaterThan(s.G * engine.info().downsample);
      expect(s.D).toBeLessThanOrEqual(GUIDED_MAX_SIDE);
      expect(s.D % 4).toBe(0);
      expect(s.known).toBeGreaterThan(0.3 * s.D * s.D);
    }
  });

  it('the detail pass re-samples the fill at the photo scale from a partly noised start, for either method', async () => {
    const calls: { G: number; t: number }[] = [];
    const original = engine.models.denoise.bind(engine.models);
    engine.models.denoise = async (z, t, B, G) => {
      calls.push({ G, t });
      return original(z, t, B, G);
    };
    const m = rectMask(image.width, image.height, 60, 40, 90, 90); // a crop of ~180 px, coarse grid 32 (128 px)
    const s = engine.settings({ methods: ['transformer'], steps: 3, seed: 9, guidedDecoder: false, anchorColours: false, photoTexture: false });
    try {
      const plain = await engine.fill(image, m, s, 'transformer');
      expect(calls).toEqual([]);
      const detailed = await engine.fill(image, m, { ...s, detailPass: true }, 'transformer');
      expect(detailed.stages).toEqual(['coarse', 'detail-pass']);
      expect(detailed.timings.detail).toBeGreaterThan(0);
      // Only the diffusion prior at the finer grid (one code per 4x4 pixels), starting part way down.
      expect(calls).toHaveLength(DETAIL_STEPS);
      for (const c of calls) expect(c.G * engine.info().downsample).toBe(Math.min(DETAIL_MAX_SIDE, 176));
      expect(calls[0]!.t).toBeLessThan(engine.info().T);
      const a = applyPatches(image, plain.samples[0].patches);
      const b = applyPatches(image, detailed.samples[0].patches);
      expect(changedOutside(b, image, m)).toBe(0);
      let differ = 0;
      for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) differ++;
      expect(differ).toBeGreaterThan(1000);
      const again = await engine.fill(image, m, { ...s, detailPass: true }, 'transformer');
      expect(Buffer.from(again.samples[0].patches[0].pixels.data)).toEqual(Buffer.from(detailed.samples[0].patches[0].pixels.data));
    } finally {
      engine.models.denoise = original;
    }
  });

  it('best of k draws k candidates per sample in the same model calls and keeps the one that best continues the border', async () => {
    const m = mask();
    const s = engine.settings({ methods: ['vqddm'], steps: 3, seed: 11, samples: 2, guidedDecoder: false, anchorColours: false, photoTexture: false });
    const batches: number[] = [];
    const original = engine.models.denoise.bind(engine.models);
    engine.models.denoise = async (z, t, B, G) => {
      batches.push(B);
      return original(z, t, B, G);
    };
    try {
      const one = await engine.fill(image, m, s, 'vqddm');
      expect(batches).toEqual([2, 2, 2]);
      batches.length = 0;
      const best = await engine.fill(image, m, { ...s, bestOf: 4 }, 'vqddm');
      expect(batches).toEqual([8, 8, 8]);
      expect(best.modelCalls).toBe(one.modelCalls);
      expect(changedOutside(applyPatches(image, best.samples[0]!.patches), image, m)).toBe(0);
      const again = await engine.fill(image, m, { ...s, bestOf: 4 }, 'vqddm');
      expect(Buffer.from(again.samples[1]!.patches[0]!.pixels.data)).toEqual(Buffer.from(best.samples[1]!.patches[0]!.pixels.data));
    } finally {
      engine.models.denoise = original;
    }
  });

  it('with all off gives the raw coarse fill; each stage changes the result', async () => {
    const s = engine.settings({ methods: ['vqddm'], steps: 3, seed: 5 });
    const raw = await engine.fill(image, mask(), { ...s, guidedDecoder: false, anchorColours: false, photoTexture: false }, 'vqddm');
    const guidedOnly = await engine.fill(image, mask(), { ...s, anchorColours: false, photoTexture: false }, 'vqddm');
    const anchored = await engine.fill(image, mask(), { ...s, photoTexture: false }, 'vqddm');
    const full = await engine.fill(image, mask(), s, 'vqddm');
    expect(raw.stages).toEqual(['coarse']);
    expect(guidedOnly.stages).toEqual(['coarse', 'guided-decoder']);
    expect(anchored.stages).toEqual(['coarse', 'guided-decoder', 'colour-anchor']);
    const bytes = (o: typeof raw) => Buffer.from(o.samples[0].patches[0].pixels.data);
    expect(bytes(raw)).not.toEqual(bytes(guidedOnly));
    expect(bytes(guidedOnly)).not.toEqual(bytes(anchored));
    expect(bytes(anchored)).not.toEqual(bytes(full));
  });

  it('a pack without a guided decoder still fills, and says the stage did not run', async () => {
    const copy = copyOfTinyPack();
    try {
      const manifestPath = join(copy.dir, 'manifest.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      delete manifest.files.guided_decoder;
      writeFileSync(manifestPath, JSON.stringify(manifest));
      rmSync(join(copy.dir, 'guided_decoder.onnx'));
      const plain = await Engine.open(copy.dir, 'cpu');
      try {
        expect(plain.info().hasGuidedDecoder).toBe(false);
        expect(engine.info().hasGuidedDecoder).toBe(true);
        const out = await plain.fill(image, mask(), plain.settings({ methods: ['vqddm'], steps: 2 }), 'vqddm');
        expect(out.stages).toEqual(['coarse', 'colour-anchor', 'photo-texture']);
      } finally {
        await plain.dispose();
      }
    } finally {
      copy.cleanup();
    }
  });

  it('refuses refinement switches that are not booleans', () => {
    const s = engine.settings();
    expect(() => engine.plan(image, mask(), { ...s, guidedDecoder: 'yes' as unknown as boolean })).toThrow(/guidedDecoder must be true or false/);
    expect(() => engine.plan(image, mask(), { ...s, photoTexture: 1 as unknown as boolean })).toThrow(/photoTexture must be true or false/);
  });
});
