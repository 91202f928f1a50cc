/**
 * How much of a fill's own detail colour anchoring may keep, from how much detail the photo has round the
 * hole: the fill's detail is scaled down where it is more than DETAIL_CAP x the photo's own, carried into
 * the hole (both measured on blocks of DETAIL_BLOCK px, the scale read bilinearly between their centres).
 *
 * Why: anchoring keeps a fill's detail (finer than its blur) where the fill's broad colours agree with the
 * interpolation's. Where the border is a clear sky, the rim of a dark mass the models painted there
 * kept its outline, a pale wisp, wherever the mass's blurred colours came close to the sky's (the canyon's
 * man brushed out in the app). In texture the fill's detail is weaker than the photo's and is kept whole.
 */
import type { Box } from '../../shared/regions.js';
import { gaussianBlurBoxHalf } from './blur.js';
import { harmonicFill } from './laplace.js';

/**
 * The fill's detail may be this many times the photo's. On the validation photos (84 cases, every stage;
 * models/default/REPORT.md) masked PSNR 21.25 dB, SSIM 0.610 and content 23.55 dB with the rule and
 * without it, seam 0.0229 -> 0.0228: it acts where the photo has no detail to carry in. (Measured while
 * the paste still blended the removed pixels into the fill's edge band; the rule acts deep in wide holes,
 * where that band did not reach, and anchoring now keeps a fill's detail only there.)
 */
const DETAIL_CAP = 1.5;
/** Side of the blocks on which detail is measured, pixels. */
const DETAIL_BLOCK = 4;

/** Blocks of DETAIL_BLOCK px from (x0, y0), gw x gh of them. */
interface BlockGrid {
  x0: number;
  y0: number;
  gw: number;
  gh: number;
}

/** The photo's detail round a hole: its root mean square on each block of the grid [gh, gw], carried into the hole. */
export interface BorderDetail {
  grid: BlockGrid;
  amplitude: Float32Array;
}

/** The box grown by `by` pixels, clipped to the region. */
function grown(box: Box, by: number, w: number, h: number): Box {
  return { x0: Math.max(0, box.x0 - by), y0: Math.max(0, box.y0 - by), x1: Math.min(w, box.x1 + by), y1: Math.min(h, box.y1 + by) };
}

/** The blocks over the mask's box grown by three blocks (clipped to the region). */
function blockGrid(box: Box, w: number, h: number): BlockGrid {
  const { x0, y0, x1, y1 } = grown(box, 3 * DETAIL_BLOCK, w, h);
  return { x0, y0, gw: Math.ceil((x1 - x0) / DETAIL_BLOCK), gh: Math.ceil((y1 - y0) / DETAIL_BLOCK) };
}

/** The grid's pixels as a box. */
function gridBox(g: BlockGrid, w: number, h: number): Box {
  return { x0: g.x0, y0: g.y0, x1: Math.min(w, g.x0 + g.gw * DETAIL_BLOCK), y1: Math.min(h, g.y0 + g.gh * DETAIL_BLOCK) };
}

/**
 * The root mean square [gh, gw] of `energy` ([h, w], a detail's square summed over the channels) on the
 * pixels `on` selects, each block's over the 3 x 3 blocks round it; -1 where they hold none.
 */
function blockDetail(energy: Float32Array, on: Uint8Array, w: number, h: number, g: BlockGrid): Float32Array {
  const gn = g.gw * g.gh;
  const sum = new Float64Array(gn), count = new Float64Array(gn);
  const { x0, y0, x1, y1 } = gridBox(g, w, h);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * w + x;
      if (!on[i]) continue;
      const b = Math.floor((y - y0) / DETAIL_BLOCK) * g.gw + Math.floor((x - x0) / DETAIL_BLOCK);
      sum[b] += energy[i];
      count[b]++;
    }
  }
  const out = new Float32Array(gn);
  for (let by = 0; by < g.gh; by++) {
    for (let bx = 0; bx < g.gw; bx++) {
      let s = 0, k = 0;
      for (let v = Math.max(0, by - 1); v <= Math.min(g.gh - 1, by + 1); v++) {
        for (let u = Math.max(0, bx - 1); u <= Math.min(g.gw - 1, bx + 1); u++) {
          s += sum[v * g.gw + u];
          k += count[v * g.gw + u];
        }
      }
      out[by * g.gw + bx] = k > 0 ? Math.sqrt(s / k) : -1;
    }
  }
  return out;
}

/**
 * The photo's own detail round the hole (`mask` 1, its bounding `box`), carried into it: each known pixel's
 * difference from the blur (sigma `sigma`, anchoring's: the band it keeps of a fill; at half resolution)
 * of the known pixels alone, as `blockDetail`, interpolated harmonically over the blocks that hold no known
 * pixel. `known` is planar RGB [3, h, w]; null when no block holds a known pixel.
 */
export function borderDetail(known: Float32Array, mask: Uint8Array, w: number, h: number, box: Box, sigma: number): BorderDetail | null {
  const n = w * h;
  const grid = blockGrid(box, w, h);
  const over = gridBox(grid, w, h);
  // set within the blur's reach only: `on` [h, w] 1 on the known pixels, `weighted` [4, h, w] their RGB
  // (0 in the hole) and `on`
  const on = new Uint8Array(n);
  const weighted = new Float32Array(4 * n);
  const reach = grown(over, Math.ceil(3 * sigma) + 2, w, h);
  for (let y = reach.y0; y < reach.y1; y++) {
    for (let i = y * w + reach.x0; i < y * w + reach.x1; i++) {
      if (mask[i]) continue;
      on[i] = 1;
      for (let c = 0; c < 3; c++) weighted[c * n + i] = known[c * n + i];
      weighted[3 * n + i] = 1;
    }
  }
  const low = gaussianBlurBoxHalf(weighted, w, h, sigma, over); // [4, bh, bw]
  const bw = over.x1 - over.x0, bn = bw * (over.y1 - over.y0);
  const energy = new Float32Array(n);
  for (let y = over.y0; y < over.y1; y++) {
    for (let x = over.x0; x < over.x1; x++) {
      const i = y * w + x, j = (y - over.y0) * bw + (x - over.x0);
      const k = low[3 * bn + j];
      if (!on[i] || k <= 0) continue;
      for (let c = 0; c < 3; c++) energy[i] += (known[c * n + i] - low[c * bn + j] / k) ** 2;
    }
  }
  const amplitude = blockDetail(energy, on, w, h, grid);
  const unknown = Uint8Array.from(amplitude, (a) => (a < 0 ? 1 : 0));
  return harmonicFill(amplitude, 1, unknown, grid.gw, grid.gh) ? { grid, amplitude } : null;
}

/**
 * The share of a fill's own detail (`img`, planar RGB [3, h, w], minus `low`, [3, bh, bw] over the mask's
 * `box`) that its amplitude leaves, at (x, y) of the hole: the blocks' min(1, DETAIL_CAP x the border's
 * detail / the fill's), read bilinearly between the blocks' centres.
 */
export function detailShare(border: BorderDetail, img: Float32Array, low: Float32Array, mask: Uint8Array, w: number, h: number, box: Box): (x: number, y: number) => number {
  const { grid: g, amplitude } = border;
  const n = w * h;
  const bw = box.x1 - box.x0, bn = bw * (box.y1 - box.y0);
  const energy = new Float32Array(n); // [h, w] the fill's detail squared, in the hole
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const i = y * w + x, j = (y - box.y0) * bw + (x - box.x0);
      if (mask[i]) for (let c = 0; c < 3; c++) energy[i] += (img[c * n + i] - low[c * bn + j]) ** 2;
    }
  }
  const fill = blockDetail(energy, mask, w, h, g);
  const share = fill.map((f, b) => (f > 0 ? Math.min(1, (DETAIL_CAP * amplitude[b]) / f) : 1));
  // a pixel at x lies at (x + 0.5) / DETAIL_BLOCK - 0.5 on the grid of block centres
  const at = (v: number, size: number) => Math.min(size - 1, Math.max(0, (v + 0.5) / DETAIL_BLOCK - 0.5));
  return (x, y) => {
    const fx = at(x - g.x0, g.gw), fy = at(y - g.y0, g.gh);
    const x0 = Math.floor(fx), y0 = Math.floor(fy), x1 = Math.min(g.gw - 1, x0 + 1), y1 = Math.min(g.gh - 1, y0 + 1);
    const tx = fx - x0, ty = fy - y0;
    const top = share[y0 * g.gw + x0] * (1 - tx) + share[y0 * g.gw + x1] * tx;
    const bottom = share[y1 * g.gw + x0] * (1 - tx) + share[y1 * g.gw + x1] * tx;
    return top * (1 - ty) + bottom * ty;
  };
}
