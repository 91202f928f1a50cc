/**
 * Seamless blending of a decoded fill into its photo. The VQ decoder reproduces the unmasked context only
 * approximately (its reconstruction error is a few dB), so pasting its output as is leaves a colour step at
 * the mask's edge. The error `original - decoded` is known on the unmasked pixels; it is extended into the
 * masked area as a harmonic (Laplace) interpolation of its boundary values and added to the decoded pixels,
 * so the fill meets the photo without a step while keeping its own texture (Poisson-style blending).
 * Applied identically to both samplers. Works at the model's resolution: S x S, a few milliseconds.
 */

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
export function harmonicBlend(original: Float32Array, origOffset: number, decoded: Float32Array, decOffset: number, unknown: Uint8Array, S: number, iterations = 400): Float32Array {
  const n = S * S;
  const out = new Float32Array(3 * n);
  const d = new Float32Array(n);
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (unknown[i]) continue;
      d[i] = original[origOffset + c * n + i] - decoded[decOffset + c * n + i];
      sum += d[i];
      count++;
    }
    const mean = count > 0 ? sum / count : 0;
    for (let i = 0; i < n; i++) if (unknown[i]) d[i] = mean;
    if (count > 0) laplaceFill(d, unknown, S, iterations);
    for (let i = 0; i < n; i++) out[c * n + i] = decoded[decOffset + c * n + i] + d[i];
  }
  return out;
}

/** Gauss-Seidel with over-relaxation on the unknown pixels; known pixels are the Dirichlet boundary. */
function laplaceFill(d: Float32Array, unknown: Uint8Array, S: number, iterations: number): void {
  const omega = 1.9;
  for (let it = 0; it < iterations; it++) {
    let change = 0;
    for (let v = 0; v < S; v++) {
      for (let u = 0; u < S; u++) {
        const i = v * S + u;
        if (!unknown[i]) continue;
        let s = 0;
        let k = 0;
        if (u > 0) { s += d[i - 1]; k++; }
        if (u < S - 1) { s += d[i + 1]; k++; }
        if (v > 0) { s += d[i - S]; k++; }
        if (v < S - 1) { s += d[i + S]; k++; }
        const next = d[i] + omega * (s / k - d[i]);
        change = Math.max(change, Math.abs(next - d[i]));
        d[i] = next;
      }
    }
    if (change < 1e-4) return;
  }
}
