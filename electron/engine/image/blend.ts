/**
 * Seamless blending of a decoded fill into its photo, and the model-scale masks around it. The VQ decoder
 * reproduces the unmasked context only approximately (its reconstruction error is a few dB), and a prior's
 * codes need not continue the border's colours exactly, so pasting the decode as is leaves a colour step at
 * the mask's edge. The error `photo - fill` is known on the pixels around the hole; it is extended into the
 * hole as a harmonic (Laplace) interpolation of those values and added to the fill, so the fill meets the
 * photo without a step while keeping its own texture (Poisson-style blending; the solver is laplace.ts).
 * Applied identically to both samplers, at the photo's scale, after the decode is resized to its tile.
 */
import { harmonicFill } from './laplace.js';
import { maskBox } from './composite.js';
import { maxValue, type Pixels } from './pixels.js';

/** S x S map: 1 where a pixel's footprint in the size x size tile touches the mask, dilated by `grow`. */
export function unknownAtModelScale(tileMask: Uint8Array, size: number, S: number, grow: number): Uint8Array {
  const unknown = new Uint8Array(S * S);
  for (let y = 0; y < size; y++) {
    const v = Math.floor((y * S) / size);
    for (let x = 0; x < size; x++) if (tileMask[y * size + x]) unknown[v * S + Math.floor((x * S) / size)] = 1;
  }
  let cur = unknown;
  for (let g = 0; g < grow; g++) {
    const next = cur.slice();
    for (let v = 0; v < S; v++) {
      for (let u = 0; u < S; u++) {
        if (cur[v * S + u]) continue;
        if ((u > 0 && cur[v * S + u - 1]) || (u < S - 1 && cur[v * S + u + 1]) || (v > 0 && cur[(v - 1) * S + u]) || (v < S - 1 && cur[(v + 1) * S + u])) next[v * S + u] = 1;
      }
    }
    cur = next;
  }
  return cur;
}

/**
 * The blend: the fill (size x size 8-bit RGB, the decode resized to its tile; changed in place on the masked
 * pixels) is corrected by the harmonic interpolation of `crop - fill` from the pixels just around the hole.
 * (It once ran at the model's scale, before the resize: there the error can be measured only outside every
 * model pixel whose footprint and resampling kernel touch the hole, up to 3 model pixels, 10-15 photo
 * pixels, beyond the hole's edge, and the fill kept a step at the edge: models/default/REPORT.md.)
 * @param crop the tile's pixels as the fill must meet them (the photo, with earlier tiles' fills)
 * @param mask size x size, 1 where the fill is pasted
 */
export function blendIntoTile(fill: Uint8Array, crop: Pixels, mask: Uint8Array, size: number): void {
  const hole = maskBox(mask, size, size);
  if (!hole) return;
  // The hole's box and the ring of pixels around it: every neighbour a hole pixel's interpolation reads.
  const x0 = Math.max(0, hole.x0 - 1);
  const y0 = Math.max(0, hole.y0 - 1);
  const w = Math.min(size, hole.x1 + 1) - x0;
  const h = Math.min(size, hole.y1 + 1) - y0;
  const n = w * h;
  const top = maxValue(crop);
  const unknown = new Uint8Array(n);
  const d = new Float32Array(3 * n); // [3, h, w], [-1, 1] units (the solver's tolerance is in them)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const j = y * w + x;
      const i = (y0 + y) * size + x0 + x;
      if (mask[i]) {
        unknown[j] = 1;
        continue;
      }
      for (let c = 0; c < 3; c++) d[c * n + j] = (2 * crop.data[i * 4 + c]) / top - (2 * fill[i * 3 + c]) / 255;
    }
  }
  if (!harmonicFill(d, 3, unknown, w, h)) return; // nothing known around the hole: no correction
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const j = y * w + x;
      if (!unknown[j]) continue;
      const i = (y0 + y) * size + x0 + x;
      for (let c = 0; c < 3; c++) {
        const v = fill[i * 3 + c] + d[c * n + j] * 127.5;
        fill[i * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
  }
}

/**
 * How far a decoded candidate disagrees with the known pixels just around the hole: the mean squared
 * difference (over RGB in [-1, 1]) on known pixels within `ring` pixels of an unknown one. The unknown cells'
 * codes reach these pixels through the decoder, so a fill that does not continue its surroundings shows here.
 */
export function borderError(original: Float32Array, origOffset: number, decoded: Float32Array, decOffset: number, unknown: Uint8Array, S: number, ring: number): number {
  const n = S * S;
  // Known pixels within `ring` (Chebyshev) of the hole: a box dilation of `unknown`, rows then columns.
  const rows = new Uint8Array(n);
  for (let y = 0; y < S; y++) {
    let last = -Infinity;
    for (let x = 0; x < S; x++) {
      if (unknown[y * S + x]) last = x;
      if (x - last <= ring) rows[y * S + x] = 1;
    }
    last = Infinity;
    for (let x = S - 1; x >= 0; x--) {
      if (unknown[y * S + x]) last = x;
      if (last - x <= ring) rows[y * S + x] = 1;
    }
  }
  let sum = 0;
  let count = 0;
  for (let x = 0; x < S; x++) {
    let last = -Infinity;
    const near = new Uint8Array(S);
    for (let y = 0; y < S; y++) {
      if (rows[y * S + x]) last = y;
      if (y - last <= ring) near[y] = 1;
    }
    last = Infinity;
    for (let y = S - 1; y >= 0; y--) {
      if (rows[y * S + x]) last = y;
      if (last - y <= ring) near[y] = 1;
    }
    for (let y = 0; y < S; y++) {
      const i = y * S + x;
      if (!near[y] || unknown[i]) continue;
      for (let c = 0; c < 3; c++) {
        const d = original[origOffset + c * n + i] - decoded[decOffset + c * n + i];
        sum += d * d;
      }
      count++;
    }
  }
  return count ? sum / count : 0;
}
