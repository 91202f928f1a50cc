import { describe, expect, it } from 'vitest';
import { gaussianBlur, gaussianBlurBox, gaussianBlurBoxHalf } from '../../electron/engine/image/blur.js';
import { Rng } from '../../electron/engine/math/rng.js';

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

  it('keeps a flat image flat and spreads an impulse into a normalised, symmetric bell', () => {
    const w = 31, h = 21, n = w * h;
    const flat = new Float32Array(3 * n).fill(7);
    for (const v of gaussianBlur(flat, w, h, 2)) expect(v).toBeCloseTo(7, 5);
    const impulse = new Float32Array(3 * n);
    impulse[10 * w + 15] = 1;
    const out = gaussianBlur(impulse, w, h, 2);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += out[i];
    expect(sum).toBeCloseTo(1, 5);
    expect(out[10 * w + 13]).toBeCloseTo(out[10 * w + 17], 6);
    expect(out[8 * w + 15]).toBeCloseTo(out[10 * w + 13], 6);
    expect(out[10 * w + 15]).toBeGreaterThan(out[10 * w + 16]);
  });

  it('at half resolution stays within a hundredth of the full blur of a wide one, steps and edges included', () => {
    // smooth waves with steps (a sky over a field, a post), spanning about 3.5; a second plane of noise
    const w = 173, h = 131, n = w * h;
    const rng = new Rng(9);
    const img = new Float32Array(2 * n);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      img[y * w + x] = Math.sin(x / 9) * Math.cos(y / 13) + (y > 60 ? 1 : -1) + (x > 100 && x < 106 ? 1 : 0);
      img[n + y * w + x] = rng.uniform() * 2 - 1;
    }
    for (const box of [{ x0: 40, y0: 30, x1: 140, y1: 110 }, { x0: 0, y0: 0, x1: w, y1: h }, { x0: 150, y0: 2, x1: 173, y1: 40 }]) {
      const bn = (box.x1 - box.x0) * (box.y1 - box.y0);
      const full = gaussianBlurBox(img.subarray(0, n), w, h, 12, box);
      const both = gaussianBlurBoxHalf(img, w, h, 12, box);
      let worst = 0;
      for (let k = 0; k < bn; k++) worst = Math.max(worst, Math.abs(both[k] - full[k]));
      expect(worst).toBeLessThan(0.035);
      // the planes are blurred each on its own
      const noise = gaussianBlurBoxHalf(img.subarray(n), w, h, 12, box);
      for (let k = 0; k < bn; k++) expect(both[bn + k]).toBe(noise[k]);
    }
  });
});
