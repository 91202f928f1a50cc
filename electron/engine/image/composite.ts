/**
 * Pasting a tile's fill into the image: only masked pixels change, each replaced whole except across the
 * cut into an earlier tile's fill, where the two are feathered; alpha is never touched.
 */
import type { MaskImage } from '../../shared/contract.js';
import type { Box } from '../../shared/regions.js';
import { maxValue, type Pixels } from './pixels.js';

/**
 * Chamfer distance (in pixels, 1 / sqrt 2 steps) of every pixel of a w x h mask (1 = masked) to the nearest
 * unmasked pixel; 0 on unmasked pixels. The buffer's border does not count as unmasked.
 */
export function chamferDistance(mask: Uint8Array, w: number, h: number): Float32Array {
  const INF = 1e9;
  const d = new Float32Array(w * h);
  for (let i = 0; i < d.length; i++) d[i] = mask[i] ? INF : 0;
  const D1 = 1;
  const D2 = Math.SQRT2;
  // Two-pass chamfer distance transform.
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (d[i] === 0) continue;
      let v = d[i];
      if (x > 0) v = Math.min(v, d[i - 1] + D1);
      if (y > 0) {
        v = Math.min(v, d[i - w] + D1);
        if (x > 0) v = Math.min(v, d[i - w - 1] + D2);
        if (x < w - 1) v = Math.min(v, d[i - w + 1] + D2);
      }
      d[i] = v;
    }
  }
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const i = y * w + x;
      if (d[i] === 0) continue;
      let v = d[i];
      if (x < w - 1) v = Math.min(v, d[i + 1] + D1);
      if (y < h - 1) {
        v = Math.min(v, d[i + w] + D1);
        if (x < w - 1) v = Math.min(v, d[i + w + 1] + D2);
        if (x > 0) v = Math.min(v, d[i + w - 1] + D2);
      }
      d[i] = v;
    }
  }
  return d;
}

/**
 * Paste weights for a size x size tile: 0 off `fills` (1 = a pixel this tile fills); 1 on it, except where
 * `refills` (1 = the target holds an earlier tile's fill there): min(1, d / (radius + 1)), d the chamfer
 * distance to the nearest pixel of `earlier` (1 = claimed by an earlier tile of the region). A tile feathers
 * into the earlier fill across the cut between their claims and pastes whole everywhere else, up to the
 * mask's edge. What lies under the mask is never blended in: it is what the user asked to replace. (A
 * feather there, a few px inside the mask's edge, brought a brushed-out tripod leg back as a ghost and mixed
 * the truth into every scored fill; the fill meets the known pixels through the harmonic blend (blend.ts)
 * and the refinement stages.)
 */
export function pasteWeights(fills: Uint8Array, refills: Uint8Array, earlier: Uint8Array, size: number, radius: number): Float32Array {
  const d = chamferDistance(earlier.map((v) => 1 - v), size, size); // 1e9 everywhere when nothing is earlier
  const w = new Float32Array(size * size);
  for (let i = 0; i < w.length; i++) if (fills[i]) w[i] = refills[i] ? Math.min(1, d[i] / (radius + 1)) : 1;
  return w;
}

/**
 * Blends `fill` (size x size RGB, 8-bit) into `target` where weights > 0 (`pasteWeights`). The tile's
 * top-left corner is at (tileX, tileY) in target coordinates (target may be a patch buffer offset from the
 * image origin).
 */
export function compositeTile(target: Pixels, tileX: number, tileY: number, size: number, fill: Uint8Array, weights: Float32Array): void {
  const scale = maxValue(target) / 255;
  for (let y = 0; y < size; y++) {
    const ty = tileY + y;
    if (ty < 0 || ty >= target.height) continue;
    for (let x = 0; x < size; x++) {
      const w = weights[y * size + x];
      if (w === 0) continue;
      const tx = tileX + x;
      if (tx < 0 || tx >= target.width) continue;
      const t = (ty * target.width + tx) * 4;
      const f = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) target.data[t + c] = Math.round(target.data[t + c] * (1 - w) + fill[f + c] * scale * w);
    }
  }
}

/** How many of a 0/1 mask's pixels are set. */
export function maskCount(mask: Uint8Array): number {
  let k = 0;
  for (let i = 0; i < mask.length; i++) k += mask[i];
  return k;
}

/** The bounding box [x0, x1) x [y0, y1) of the mask's set pixels, or null when none is set. */
export function maskBox(mask: Uint8Array, w: number, h: number): Box | null {
  let x0 = w, y0 = h, x1 = 0, y1 = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      if (x < x0) x0 = x;
      if (x >= x1) x1 = x + 1;
      if (y < y0) y0 = y;
      y1 = y + 1;
    }
  }
  return x1 > x0 ? { x0, y0, x1, y1 } : null;
}

/** Whether pixel (x, y) has a set 8-neighbour in `unknown` (w x h). */
export function touchesHole(unknown: Uint8Array, w: number, h: number, x: number, y: number): boolean {
  for (let v = Math.max(0, y - 1); v <= Math.min(h - 1, y + 1); v++) {
    for (let u = Math.max(0, x - 1); u <= Math.min(w - 1, x + 1); u++) if (unknown[v * w + u]) return true;
  }
  return false;
}

/** 1 where the mask is set (128 and above), for the pixels of `box` (row-major, box-sized). */
export function maskInBox(mask: MaskImage, box: Box): Uint8Array {
  const w = box.x1 - box.x0;
  const h = box.y1 - box.y0;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = mask.data[(box.y0 + y) * mask.width + box.x0 + x] >= 128 ? 1 : 0;
  return out;
}
