import { describe, expect, it } from 'vitest';
import { DETAIL_GAIN, gaussianBlur, gaussianBlurBox, synthesizeTexture } from '../../electron/engine/image/texture.js';
import type { Pixels } from '../../electron/engine/image/pixels.js';
import { Rng } from '../../electron/engine/math/rng.js';

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

describe('texture from the photo, guided by the fill', () => {
  it('gives the grainy side of the hole the photo grain and keeps the smooth side smooth', () => {
    const { img, mask } = scene();
    const before = laplaceVar(img, holeLeft);
    expect(synthesizeTexture(img, mask, { seed: 1, gain: 1 })).toBe(true);
    const photo = laplaceVar(img, knownLeft);
    expect(before).toBe(0);
    expect(laplaceVar(img, holeLeft) / photo).toBeGreaterThan(0.5);
    expect(laplaceVar(img, holeRight)).toBeLessThan(0.01 * photo);
    // the fill's colour (low frequencies) is kept: mean red of the left hole stays near 180
    let sum = 0, count = 0;
    for (let y = 26; y < 38; y++) for (let x = 26; x < 44; x++) { sum += img.data[(y * W + x) * 4]; count++; }
    expect(Math.abs(sum / count - 180)).toBeLessThan(8);
  });

  it('copies texture in coherent pieces: stripes continue through the hole', () => {
    // vertical stripes 3 px wide; the "fill" in the hole is their flat mean, as a blurry model would paint
    const data = new Uint8Array(W * H * 4);
    const mask = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        mask[i] = x >= 30 && x < 66 && y >= 18 && y < 46 ? 1 : 0;
        const v = mask[i] ? 150 : Math.floor(x / 3) % 2 ? 200 : 100;
        data.set([v, v, v, 255], i * 4);
      }
    }
    const img: Pixels = { width: W, height: H, data };
    synthesizeTexture(img, mask, { seed: 2, gain: 1 });
    // vertical neighbours in the hole's core are equal as in the photo, not as independent copies would be
    let equal = 0;
    let pairs = 0;
    let energy = 0;
    for (let y = 24; y < 40; y++) {
      for (let x = 36; x < 60; x++) {
        const v = data[(y * W + x) * 4];
        if (v === data[((y + 1) * W + x) * 4]) equal++;
        energy += (v - 150) ** 2;
        pairs++;
      }
    }
    expect(energy / pairs).toBeGreaterThan(1000); // the stripes' contrast, not a flat fill
    expect(equal / pairs).toBeGreaterThan(0.8);
  });

  it('changes masked pixels only, never alpha, and is deterministic per seed', () => {
    const a = scene();
    const b = scene();
    const orig = scene();
    synthesizeTexture(a.img, a.mask, { seed: 3 });
    synthesizeTexture(b.img, b.mask, { seed: 3 });
    expect(Buffer.from(a.img.data.buffer).equals(Buffer.from(b.img.data.buffer))).toBe(true);
    for (let i = 0; i < W * H; i++) {
      expect(a.img.data[i * 4 + 3]).toBe(255);
      if (!a.mask[i]) for (let c = 0; c < 3; c++) expect(a.img.data[i * 4 + c]).toBe(orig.img.data[i * 4 + c]);
    }
  });

  it('leaves a thin scratch nearly as the learned fill painted it', () => {
    const { img } = scene();
    const mask = new Uint8Array(W * H);
    for (let x = 10; x < 86; x++) mask[32 * W + x] = mask[33 * W + x] = 1; // 2 px wide
    const before = Uint8Array.from(img.data);
    synthesizeTexture(img, mask, { seed: 1 });
    for (let i = 0; i < W * H; i++) if (mask[i]) expect(Math.abs(img.data[i * 4] - before[i * 4])).toBeLessThanOrEqual(0);
  });

  it('puts the detail in at DETAIL_GAIN of the photo\'s amplitude by default', () => {
    const full = scene();
    const dflt = scene();
    synthesizeTexture(full.img, full.mask, { seed: 1, gain: 1 });
    synthesizeTexture(dflt.img, dflt.mask, { seed: 1 });
    const ratio = laplaceVar(dflt.img, holeLeft) / laplaceVar(full.img, holeLeft);
    expect(ratio).toBeGreaterThan(DETAIL_GAIN ** 2 * 0.8);
    expect(ratio).toBeLessThan(DETAIL_GAIN ** 2 * 1.2);
  });

  it('works at 16 bits', () => {
    const { img, mask } = scene(16);
    expect(synthesizeTexture(img, mask, { seed: 1, gain: 1 })).toBe(true);
    expect(laplaceVar(img, holeLeft) / laplaceVar(img, knownLeft)).toBeGreaterThan(0.5);
  });

  it('does nothing when no known patch exists', () => {
    const { img } = scene();
    const before = Uint8Array.from(img.data);
    expect(synthesizeTexture(img, new Uint8Array(W * H).fill(1), { seed: 1 })).toBe(false);
    expect(Buffer.from(img.data.buffer).equals(Buffer.from(before.buffer))).toBe(true);
  });
});

describe('the Gaussian blur of a box', () => {
  it('equals the whole image\'s blur inside the box, bit for bit, at the image\'s edges and away from them', () => {
    const w = 97, h = 61, n = w * h;
    const rng = new Rng(5);
    const img = Float32Array.from({ length: 3 * n }, () => rng.uniform() * 2 - 1);
    const full = gaussianBlur(img, w, h, 4);
    for (const box of [{ x0: 30, y0: 20, x1: 55, y1: 41 }, { x0: 0, y0: 0, x1: 12, y1: 9 }, { x0: 80, y0: 50, x1: 97, y1: 61 }, { x0: 0, y0: 0, x1: w, y1: h }]) {
      const part = gaussianBlurBox(img, w, h, 4, box);
      const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
      for (let c = 0; c < 3; c++) for (let y = 0; y < bh; y++) for (let x = 0; x < bw; x++) {
        expect(part[c * bw * bh + y * bw + x]).toBe(full[c * n + (box.y0 + y) * w + box.x0 + x]);
      }
    }
  });
});
