import { describe, expect, it } from 'vitest';
import { harmonicFill } from '../../electron/engine/image/laplace.js';

/** x^2 - y^2 and x*y are harmonic, and their discrete Laplacian is exactly 0: the exact solution. */
const functions = [(x: number, y: number) => (x * x - y * y) / 1e5, (x: number, y: number) => (x * y) / 1e5 - 0.5];

function holeOf(w: number, h: number): Uint8Array {
  const unknown = new Uint8Array(w * h);
  for (let y = Math.round(h / 4); y < Math.round((3 * h) / 4); y++) for (let x = Math.round(w / 4); x < Math.round((3 * w) / 4); x++) unknown[y * w + x] = 1;
  for (let y = 10; y < 30; y++) for (let x = 5; x < w - 5; x++) unknown[y * w + x] = 1; // a long stroke
  for (let y = 0; y < h; y++) unknown[y * w + w - 1] = 1; // the grid's edge (Neumann there)
  return unknown;
}

describe('harmonic interpolation (multigrid)', () => {
  it('reaches the exact solution in large, irregular holes of any size, every channel at once', () => {
    for (const [w, h] of [[632, 632], [317, 211], [64, 40]]) {
      const unknown = holeOf(w, h);
      const n = w * h;
      const d = new Float32Array(2 * n);
      for (let c = 0; c < 2; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[c * n + y * w + x] = unknown[y * w + x] ? 0 : functions[c](x - w / 2, y - h / 2);
      expect(harmonicFill(d, 2, unknown, w, h)).toBe(true);
      let worst = 0;
      for (let c = 0; c < 2; c++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w - 1; x++) worst = Math.max(worst, Math.abs(d[c * n + y * w + x] - functions[c](x - w / 2, y - h / 2)));
        }
      }
      expect(worst, `${w}x${h}`).toBeLessThan(2e-3); // a quarter of an 8-bit level in [-1, 1]
    }
  });

  it('converges on odd-sized grids whose hole reaches a column or row that halving leaves over', () => {
    // 275 px: the coarse grids are 138, 69, 35, 18 px; a hole ending 3 px before the right edge is bounded
    // there by known pixels only the odd last column holds (it diverged to NaN when that column was dropped)
    for (const [w, h, x0, x1, y0, y1] of [[275, 275, 197, 271, 44, 157], [275, 201, 40, 120, 60, 198], [301, 157, 150, 298, 30, 154]]) {
      const n = w * h;
      const unknown = new Uint8Array(n);
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) unknown[y * w + x] = 1;
      const d = new Float32Array(2 * n);
      for (let c = 0; c < 2; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[c * n + y * w + x] = unknown[y * w + x] ? 0 : functions[c](x - w / 2, y - h / 2);
      harmonicFill(d, 2, unknown, w, h);
      let worst = 0;
      for (let c = 0; c < 2; c++) for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(d[c * n + i] - functions[c]((i % w) - w / 2, Math.floor(i / w) - h / 2)));
      expect(worst, `${w}x${h}`).toBeLessThan(2e-3);
    }
  });

  it('keeps the known pixels and refuses a grid with none', () => {
    const w = 40;
    const unknown = holeOf(w, w);
    const d = Float32Array.from({ length: w * w }, (_, i) => (i % 7) / 7);
    const before = d.slice();
    harmonicFill(d, 1, unknown, w, w);
    for (let i = 0; i < d.length; i++) if (!unknown[i]) expect(d[i]).toBe(before[i]);
    expect(harmonicFill(new Float32Array(4), 1, new Uint8Array(4).fill(1), 2, 2)).toBe(false);
  });
});
