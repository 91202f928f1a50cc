import { describe, expect, it } from 'vitest';
import { completeStructure } from '../../electron/engine/image/completion.js';
import type { Pixels } from '../../electron/engine/image/pixels.js';
import { Rng } from '../../electron/engine/math/rng.js';
import { greyScene } from './scenes.js';

const W = 96;
const H = 64;

/**
 * Left half: red with strong grain; right half: smooth blue. A box across the middle is "filled" with the
 * flat colour of each side, as a blurry learned fill would be.
 */
function scene(depth: 8 | 16 = 8): { img: Pixels; mask: Uint8Array } {
  const rng = new Rng(7);
  const top = depth === 8 ? 255 : 65535;
  const data = depth === 8 ? new Uint8Array(W * H * 4) : new Uint16Array(W * H * 4);
  const mask = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const left = x < W / 2;
      const inBox = x >= 20 && x < 76 && y >= 20 && y < 44;
      mask[i] = inBox ? 1 : 0;
      const grain = inBox ? 0 : (rng.uniform() - 0.5) * 80;
      const rgb = left ? [180 + grain, 60 + grain, 50 + grain] : [40, 70, 200];
      for (let c = 0; c < 3; c++) data[i * 4 + c] = Math.round((rgb[c] / 255) * top);
      data[i * 4 + 3] = top;
    }
  }
  return { img: { width: W, height: H, data }, mask };
}

/** Variance of the 4-neighbour Laplacian of the red channel over the pixels of `pick`. */
function laplaceVar(img: Pixels, pick: (x: number, y: number) => boolean): number {
  const v: number[] = [];
  const r = (x: number, y: number) => img.data[(y * W + x) * 4];
  for (let y = 1; y < H - 1; y++) for (let x = 1; x < W - 1; x++) if (pick(x, y)) v.push(4 * r(x, y) - r(x - 1, y) - r(x + 1, y) - r(x, y - 1) - r(x, y + 1));
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
}

const holeLeft = (x: number, y: number) => x >= 26 && x < 44 && y >= 26 && y < 38;
const holeRight = (x: number, y: number) => x >= 54 && x < 70 && y >= 26 && y < 38;
const knownLeft = (x: number, y: number) => x >= 2 && x < 44 && (y < 18 || y >= 46);

/**
 * A dark diagonal band (6 px wide) across a light ground, and a box over its middle "filled" with the flat
 * mean of the box, as a blurry learned fill paints a structure it cannot draw.
 */
function band(): { img: Pixels; truth: Uint8Array; mask: Uint8Array } {
  const w = 128, h = 96;
  const data = new Uint8Array(w * h * 4);
  const truth = new Uint8Array(w * h);
  const mask = new Uint8Array(w * h);
  let sum = 0, count = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const v = Math.abs(x - 0.9 * y - 20) < 3 ? 40 : 210;
      truth[i] = v;
      mask[i] = x >= 44 && x < 84 && y >= 28 && y < 68 ? 1 : 0;
      if (mask[i]) { sum += v; count++; }
    }
  }
  for (let i = 0; i < w * h; i++) {
    const v = mask[i] ? Math.round(sum / count) : truth[i];
    data.set([v, v, v, 255], i * 4);
  }
  return { img: { width: w, height: h, data }, truth, mask };
}

/**
 * A W x H grey (128) scene with grain (uniform +-40, seeded) where `grainy` says, and a hole where `hole`
 * says, filled flat with the grey, as a blurry learned fill paints it.
 */
function grainScene(seed: number, hole: (x: number, y: number) => boolean, grainy: (x: number, y: number) => boolean): { img: Pixels; mask: Uint8Array } {
  const rng = new Rng(seed);
  return greyScene(W, H, hole, (x, y, inHole) => (inHole || !grainy(x, y) ? 128 : 128 + Math.round((rng.uniform() - 0.5) * 80)));
}

describe('structure completion from the photo, guided by the fill', () => {
  it('carries a structure across the hole that the learned fill painted flat', () => {
    const { img, truth, mask } = band();
    expect(completeStructure(img, mask, { seed: 1 })).toBe(true);
    // the hole's core (6 px inside the edge, where the completion has fully faded in)
    let right = 0, total = 0;
    for (let y = 34; y < 62; y++) {
      for (let x = 50; x < 78; x++) {
        const i = y * 128 + x;
        total++;
        if (Math.abs(img.data[i * 4] - truth[i]) < 40) right++;
      }
    }
    expect(right / total).toBeGreaterThan(0.9);
  });

  it('puts the photo grain where the fill says grainy content belongs and keeps the smooth side smooth', () => {
    const { img, mask } = scene();
    expect(completeStructure(img, mask, { seed: 1 })).toBe(true);
    const photo = laplaceVar(img, knownLeft);
    expect(laplaceVar(img, holeLeft) / photo).toBeGreaterThan(0.3);
    expect(laplaceVar(img, holeRight)).toBeLessThan(0.01 * photo);
    // the fill's colours decide the sides: the left hole stays red, the right blue
    let red = 0, blue = 0;
    for (let y = 26; y < 38; y++) for (let x = 26; x < 44; x++) red += img.data[(y * W + x) * 4] > img.data[(y * W + x) * 4 + 2] ? 1 : 0;
    for (let y = 26; y < 38; y++) for (let x = 54; x < 70; x++) blue += img.data[(y * W + x) * 4 + 2] > img.data[(y * W + x) * 4] ? 1 : 0;
    expect(red).toBe(18 * 12);
    expect(blue).toBe(16 * 12);
  });

  it('gives the hole the photo grain at the photo\'s own amplitude, not the blur of averaged copies', () => {
    const { img, mask } = scene();
    completeStructure(img, mask, { seed: 1 });
    const ratio = laplaceVar(img, holeLeft) / laplaceVar(img, knownLeft);
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(1.4);
  });

  it('lays a share of the completion over the fill at a strength under 1, and none at 0', () => {
    const { img: given, mask } = scene();
    const full = { ...given, data: given.data.slice() };
    completeStructure(full, mask, { seed: 1 });
    const at = (strength: number) => {
      const img = { ...given, data: given.data.slice() };
      completeStructure(img, mask, { seed: 1, strength });
      return img;
    };
    expect(Array.from(at(0).data)).toEqual(Array.from(given.data));
    // the same copies, each pixel 0.6 of the way from the fill to the full completion (rounding aside)
    const part = at(0.6);
    let worst = 0;
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue;
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(part.data[i * 4 + c] - (given.data[i * 4 + c] + 0.6 * (full.data[i * 4 + c] - given.data[i * 4 + c]))));
    }
    expect(worst).toBeLessThanOrEqual(1);
    const grain = laplaceVar(part, holeLeft) / laplaceVar(full, holeLeft);
    expect(grain).toBeGreaterThan(0.25);
    expect(grain).toBeLessThan(0.5);
  });

  it('copies grain as strong as the hole\'s surroundings, not smooth pieces of the same colour from elsewhere', () => {
    // Grey grass on the left, the same grey smooth on the right; the hole, in the grass, filled flat (as a
    // blurry learned fill is). Its flat estimate matches the smooth side's patches best: without the
    // grain's amplitude in the match the core came out flat (0 of the grass's variance; 0.91 with it).
    const hole = (x: number, y: number) => x >= 14 && x < 34 && y >= 22 && y < 42;
    const { img, mask } = grainScene(3, hole, (x) => x < W / 2);
    completeStructure(img, mask, { seed: 1 });
    const grass = (x: number, y: number) => x >= 2 && x < 44 && !hole(x, y) && (y < 18 || y >= 46);
    const core = (x: number, y: number) => x >= 20 && x < 28 && y >= 28 && y < 36;
    expect(laplaceVar(img, core) / laplaceVar(img, grass)).toBeGreaterThan(0.5);
  });

  it('brings the grain to within a few px of a brush stroke\'s edges, so no smooth streak is left', () => {
    // a 10 px stroke across grey grass, filled flat. From 2 px over 4, the pixels 2-4 px inside the edges
    // kept half or more of the flat fill and the stroke read as a smooth streak (0.19 of the grass's variance; 0.81 now).
    const { img, mask } = grainScene(5, (x, y) => y >= 27 && y < 37 && x >= 8 && x < W - 8, () => true);
    completeStructure(img, mask, { seed: 1 });
    // the rows 2-4 px inside the stroke's edges, away from its ends, against the grass above and below it
    const band = (x: number, y: number) => x >= 20 && x < W - 20 && (y === 29 || y === 30 || y === 33 || y === 34);
    const grass = (x: number, y: number) => x >= 20 && x < W - 20 && (y < 22 || y >= 42);
    expect(laplaceVar(img, band) / laplaceVar(img, grass)).toBeGreaterThan(0.4);
  });

  it('follows the learned fill where it paints an object the border does not show', () => {
    // grainy red everywhere but a blue square far from the hole; the fill paints blue in the hole's middle
    const w = 128, h = 96;
    const rng = new Rng(3);
    const data = new Uint8Array(w * h * 4);
    const mask = new Uint8Array(w * h);
    const inBlue = (x: number, y: number) => x >= 100 && x < 124 && y >= 8 && y < 32;
    const inObject = (x: number, y: number) => x >= 54 && x < 74 && y >= 42 && y < 62;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        mask[i] = x >= 40 && x < 88 && y >= 28 && y < 76 ? 1 : 0;
        const g = (rng.uniform() - 0.5) * 40;
        const rgb = inBlue(x, y) || inObject(x, y) ? [40 + g, 70 + g, 200 + g] : mask[i] ? [180, 60, 50] : [180 + g, 60 + g, 50 + g];
        data.set([...rgb.map((v) => Math.round(v)), 255], i * 4);
      }
    }
    completeStructure({ width: w, height: h, data }, mask, { seed: 1 });
    let blue = 0;
    for (let y = 46; y < 58; y++) for (let x = 58; x < 70; x++) blue += data[(y * w + x) * 4 + 2] > data[(y * w + x) * 4] ? 1 : 0;
    expect(blue / 144).toBeGreaterThan(0.9);
  });

  it('keeps the fill\'s colours in a smooth background, where the photo has no copy of them', () => {
    // a blurred bright spot (a bokeh highlight) under a box, the fill painting it right: no known patch is as
    // bright as its middle, and copies of the nearest ones drew sharp-edged patches a few levels off (37
    // levels off the truth on average over the hole's core when the copies' colours were kept there)
    const w = 96, h = 64;
    const data = new Uint8Array(w * h * 4);
    const mask = new Uint8Array(w * h);
    const truth = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) {
      const x = i % w, y = (i - x) / w;
      mask[i] = x >= 30 && x < 66 && y >= 16 && y < 48 ? 1 : 0;
      truth[i] = 70 + 90 * Math.exp(-((x - 48) ** 2 + (y - 32) ** 2) / (2 * 14 ** 2));
      const v = Math.round(truth[i]);
      data.set([v, Math.round(0.8 * v), Math.round(0.5 * v), 255], i * 4);
    }
    expect(completeStructure({ width: w, height: h, data }, mask, { seed: 1 })).toBe(true);
    let err = 0, count = 0;
    for (let y = 22; y < 42; y++) for (let x = 36; x < 60; x++, count++) err += Math.abs(data[(y * w + x) * 4] - truth[y * w + x]);
    expect(err / count).toBeLessThan(3);
  });

  it('changes masked pixels only, never alpha, and is deterministic per seed', () => {
    const a = scene();
    const b = scene();
    const orig = scene();
    completeStructure(a.img, a.mask, { seed: 3 });
    completeStructure(b.img, b.mask, { seed: 3 });
    expect(Buffer.from(a.img.data.buffer).equals(Buffer.from(b.img.data.buffer))).toBe(true);
    for (let i = 0; i < W * H; i++) {
      expect(a.img.data[i * 4 + 3]).toBe(255);
      if (!a.mask[i]) for (let c = 0; c < 3; c++) expect(a.img.data[i * 4 + c]).toBe(orig.img.data[i * 4 + c]);
    }
  });

  it('leaves a thin scratch as the learned fill painted it', () => {
    const { img } = scene();
    const mask = new Uint8Array(W * H);
    for (let x = 10; x < 86; x++) mask[32 * W + x] = mask[33 * W + x] = 1; // 2 px wide
    const before = Uint8Array.from(img.data);
    completeStructure(img, mask, { seed: 1 });
    expect(Buffer.from(img.data.buffer).equals(Buffer.from(before.buffer))).toBe(true);
  });

  it('fills the middle of a hole deeper than 150 px too, not only its rim', () => {
    // a pattern of blobs (periods of 30-45 px, seen at the coarse levels too) round a 340 x 340 box painted
    // flat: its middle lies 170 px from the border, where 2^-d underflowed and no vote reached
    const w = 480, h = 460;
    const data = new Uint8Array(w * h * 4);
    const mask = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) {
      const x = i % w, y = (i - x) / w;
      mask[i] = x >= 60 && x < 400 && y >= 60 && y < 400 ? 1 : 0;
      const v = mask[i] ? 128 : Math.round(128 + 60 * Math.sin(x / 5) * Math.sin(y / 7));
      data.set([v, v, v, 255], i * 4);
    }
    const img: Pixels = { width: w, height: h, data };
    expect(completeStructure(img, mask, { seed: 2 })).toBe(true);
    const varOf = (x0: number, y0: number, side: number) => {
      const v: number[] = [];
      for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) v.push(data[(y * w + x) * 4]);
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
    };
    // the middle (150-190 px deep) carries the pattern as the rim (20-60 px deep) does (0.89 of its variance;
    // 0.08 when the middle got no votes: a flat square)
    expect(varOf(210, 210, 40) / varOf(80, 210, 40)).toBeGreaterThan(0.5);
  });

  it('carries a structure into a hole at the region\'s edge, out to the edge itself', () => {
    // horizontal bands 4 px high; a hole along the left edge, filled flat. The patches over the edge's
    // columns reach past the region and read its nearest pixels instead.
    const truth = (y: number) => (Math.floor(y / 4) % 2 ? 60 : 190);
    const hole = (x: number, y: number) => x < 24 && y >= 16 && y < 48;
    const { img, mask } = greyScene(W, H, hole, (x, y, inHole) => (inHole ? 125 : truth(y)));
    expect(completeStructure(img, mask, { seed: 3 })).toBe(true);
    // the columns at the edge, away from the hole's top and bottom rims
    let right = 0, all = 0;
    for (let y = 20; y < 44; y++) {
      for (let x = 0; x < 3; x++, all++) right += Math.abs(img.data[(y * W + x) * 4] - truth(y)) < 40 ? 1 : 0;
    }
    expect(right / all).toBeGreaterThan(0.9);
  });

  it('works at 16 bits', () => {
    const { img, mask } = scene(16);
    expect(completeStructure(img, mask, { seed: 1 })).toBe(true);
    expect(laplaceVar(img, holeLeft) / laplaceVar(img, knownLeft)).toBeGreaterThan(0.3);
  });

  it('does nothing when no known patch exists', () => {
    const { img } = scene();
    const before = Uint8Array.from(img.data);
    expect(completeStructure(img, new Uint8Array(W * H).fill(1), { seed: 1 })).toBe(false);
    expect(Buffer.from(img.data.buffer).equals(Buffer.from(before.buffer))).toBe(true);
  });
});
