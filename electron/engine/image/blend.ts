/**
 * Seamless blending of a decoded fill into its photo. The VQ decoder reproduces the unmasked context only
 * approximately (its reconstruction error is a few dB), so pasting its output as is leaves a colour step at
 * the mask's edge. The error `original - decoded` is known on the unmasked pixels; it is extended into the
 * masked area as a harmonic (Laplace) interpolation of its boundary values and added to the decoded pixels,
 * so the fill meets the photo without a step while keeping its own texture (Poisson-style blending; the
 * solver is laplace.ts).
 * Applied identically to both samplers. Works at the model's resolution: S x S, a few milliseconds.
 */
import { harmonicFill } from './laplace.js';

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
 * Returns decoded + harmonic(original - decoded) as float32 [3, S, S] in [-1, 1].
 * @param original the model's input for this crop [3, S, S] (its unknown pixels are never read)
 * @param decoded the decoder's output [3, S, S]
 * @param unknown S x S, 1 where the correction is interpolated rather than measured
 */
export function harmonicBlend(original: Float32Array, origOffset: number, decoded: Float32Array, decOffset: number, unknown: Uint8Array, S: number, tolerance?: number): Float32Array {
  const n = S * S;
  const d = new Float32Array(3 * n);
  for (let i = 0; i < 3 * n; i++) d[i] = unknown[i % n] ? 0 : original[origOffset + i] - decoded[decOffset + i];
  if (!harmonicFill(d, 3, unknown, S, S, tolerance)) d.fill(0); // nothing known: no correction
  for (let i = 0; i < 3 * n; i++) d[i] += decoded[decOffset + i];
  return d;
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
