import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.js';
import type { Pixels } from '../../electron/engine/image/pixels.js';
import { applyPatches, GUIDED_MAX_SIDE } from '../../electron/engine/pipeline.js';
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
