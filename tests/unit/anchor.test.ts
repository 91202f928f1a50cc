import { describe, expect, it } from 'vitest';
import { anchorColours } from '../../electron/engine/image/anchor.js';
import type { Pixels } from '../../electron/engine/image/pixels.js';

const W = 80;
const H = 60;

/** Known: red left half, blue right half. Hole: a wrong green with a 1-px checker (the fill's own detail). */
function scene(): { img: Pixels; mask: Uint8Array } {
  const data = new Uint8Array(W * H * 4);
  const mask = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      mask[i] = x >= 20 && x < 60 && y >= 15 && y < 45 ? 1 : 0;
      const rgb = mask[i] ? [40, 200 + ((x + y) % 2 ? 20 : -20), 40] : x < W / 2 ? [220, 30, 30] : [30, 30, 220];
      data.set([...rgb, 255], i * 4);
    }
  }
  return { img: { width: W, height: H, data }, mask };
}

const at = (img: Pixels, x: number, y: number) => Array.from(img.data.subarray((y * W + x) * 4, (y * W + x) * 4 + 3));

describe('colour anchoring', () => {
  it('pulls the fill toward the border colours by the weight, keeps its detail and the known pixels', () => {
    const { img, mask } = scene();
    const before = Uint8Array.from(img.data);
    expect(anchorColours(img, mask, 1)).toBe(true);
    // on the left of the hole the fill is now red-dominated, on the right blue-dominated
    const [lr, lg] = at(img, 29, 30);
    const [rr, , rb] = at(img, 50, 30);
    expect(lr).toBeGreaterThan(150);
    expect(lg).toBeLessThan(100);
    expect(rb).toBeGreaterThan(150);
    expect(rr).toBeLessThan(100);
    // the checker (the fill's own detail above the blur's scale) survives: neighbours still differ by ~40
    expect(Math.abs(at(img, 40, 30)[1] - at(img, 41, 30)[1])).toBeGreaterThan(25);
    for (let i = 0; i < W * H; i++) if (!mask[i]) for (let c = 0; c < 4; c++) expect(img.data[i * 4 + c]).toBe(before[i * 4 + c]);
  });

  it('leaves thin scratches as the learned fill painted them', () => {
    const { img } = scene();
    const mask = new Uint8Array(W * H);
    for (let x = 5; x < 75; x++) for (let y = 29; y < 33; y++) mask[y * W + x] = 1; // 4 px wide
    const before = Uint8Array.from(img.data);
    anchorColours(img, mask, 1);
    expect(Buffer.from(img.data).equals(Buffer.from(before))).toBe(true);
  });

  it('at weight 0 changes nothing, and refuses a region with no known pixel', () => {
    const { img, mask } = scene();
    const before = Uint8Array.from(img.data);
    anchorColours(img, mask, 0);
    expect(Buffer.from(img.data).equals(Buffer.from(before))).toBe(true);
    expect(anchorColours(img, new Uint8Array(W * H).fill(1))).toBe(false);
    expect(Buffer.from(img.data).equals(Buffer.from(before))).toBe(true);
  });
});
