/**
 * Separable Gaussian blurs of planar [C, h, w] float images (C = length / (w h): RGB, or one plane of
 * weights), edges clamped: the low frequencies that colour anchoring replaces and the structure
 * completion's guide.
 */
import type { Box } from '../../shared/regions.js';

/**
 * `gaussianBlur`'s values inside the box [x0, x1) x [y0, y1) only, as a planar [C, y1 - y0, x1 - x0] array,
 * computed from the box grown by the kernel's radius (a hole's low frequencies need not cost the whole
 * region's blur). Bit for bit what the full blur gives there: every output reads only pixels within the
 * radius, which the grown box holds, and the window's edges clamp only where they are the image's.
 */
export function gaussianBlurBox(img: Float32Array, w: number, h: number, sigma: number, box: Box): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const wx0 = Math.max(0, box.x0 - r), wy0 = Math.max(0, box.y0 - r);
  const ww = Math.min(w, box.x1 + r) - wx0, wh = Math.min(h, box.y1 + r) - wy0;
  const n = w * h, wn = ww * wh;
  const channels = img.length / n;
  const win = new Float32Array(channels * wn);
  for (let c = 0; c < channels; c++) for (let y = 0; y < wh; y++) win.set(img.subarray(c * n + (wy0 + y) * w + wx0, c * n + (wy0 + y) * w + wx0 + ww), c * wn + y * ww);
  const blurred = gaussianBlur(win, ww, wh, sigma);
  const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
  const out = new Float32Array(channels * bw * bh);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < bh; y++) {
      const from = c * wn + (box.y0 - wy0 + y) * ww + (box.x0 - wx0);
      out.set(blurred.subarray(from, from + bw), c * bw * bh + y * bw);
    }
  }
  return out;
}

/**
 * `gaussianBlurBox` of a wide blur (sigma of 8 px and more) at half resolution: the window averaged 2 x 2,
 * blurred at sigma / 2 and read back bilinearly, for an eighth of the work. What is lost is detail finer
 * than the blur itself: on a field with steps, within a hundredth of its range of the full blur at sigma 12.
 */
export function gaussianBlurBoxHalf(img: Float32Array, w: number, h: number, sigma: number, box: Box): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const wx0 = Math.max(0, box.x0 - r), wy0 = Math.max(0, box.y0 - r);
  const ww = Math.min(w, box.x1 + r) - wx0, wh = Math.min(h, box.y1 + r) - wy0;
  const hw = Math.ceil(ww / 2), hh = Math.ceil(wh / 2);
  const n = w * h, hn = hw * hh;
  const channels = img.length / n;
  const half = new Float32Array(channels * hn); // [C, hh, hw]: 2 x 2 means of the window
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < hh; y++) {
      const r0 = c * n + (wy0 + 2 * y) * w + wx0;
      const r1 = c * n + (wy0 + Math.min(wh - 1, 2 * y + 1)) * w + wx0;
      for (let x = 0; x < hw; x++) {
        const x0 = 2 * x, x1 = Math.min(ww - 1, 2 * x + 1);
        half[c * hn + y * hw + x] = 0.25 * (img[r0 + x0] + img[r0 + x1] + img[r1 + x0] + img[r1 + x1]);
      }
    }
  }
  const blurred = gaussianBlur(half, hw, hh, sigma / 2);
  const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
  const out = new Float32Array(channels * bw * bh);
  // a window pixel at x lies at (x + 0.5) / 2 - 0.5 on the half grid
  const at = (v: number, size: number) => Math.min(size - 1, Math.max(0, (v + 0.5) / 2 - 0.5));
  for (let y = 0; y < bh; y++) {
    const fy = at(box.y0 - wy0 + y, hh), y0 = Math.floor(fy), y1 = Math.min(hh - 1, y0 + 1), ty = fy - y0;
    for (let x = 0; x < bw; x++) {
      const fx = at(box.x0 - wx0 + x, hw), x0 = Math.floor(fx), x1 = Math.min(hw - 1, x0 + 1), tx = fx - x0;
      for (let c = 0; c < channels; c++) {
        const o = c * hn;
        const top = blurred[o + y0 * hw + x0] * (1 - tx) + blurred[o + y0 * hw + x1] * tx;
        const bottom = blurred[o + y1 * hw + x0] * (1 - tx) + blurred[o + y1 * hw + x1] * tx;
        out[c * bw * bh + y * bw + x] = top * (1 - ty) + bottom * ty;
      }
    }
  }
  return out;
}

/**
 * Separable Gaussian blur of a planar [C, h, w] image, edges clamped. Each pass runs tap by tap along whole
 * rows into a float64 row, so every read is sequential and only the runs that pass an edge clamp; each pixel
 * still sums its taps in order in double precision, as a per-pixel loop would (this blur was the texture
 * stage's largest single cost on a 1 MP photo).
 */
export function gaussianBlur(img: Float32Array, w: number, h: number, sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += kernel[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  const n = w * h;
  const channels = img.length / n;
  const tmp = new Float32Array(channels * n);
  const out = new Float32Array(channels * n);
  const acc = new Float64Array(w);
  for (let c = 0; c < channels; c++) {
    const o = c * n;
    // horizontal: the taps outer, each a run along the row (clamped only where it passes an edge)
    for (let y = 0; y < h; y++) {
      const row = o + y * w;
      acc.fill(0);
      for (let i = -r; i <= r; i++) {
        const kv = kernel[i + r];
        const lo = Math.min(w, Math.max(0, -i));
        const hi = Math.max(lo, Math.min(w, w - i));
        for (let x = 0; x < lo; x++) acc[x] += kv * img[row];
        for (let x = lo; x < hi; x++) acc[x] += kv * img[row + x + i];
        for (let x = hi; x < w; x++) acc[x] += kv * img[row + w - 1];
      }
      for (let x = 0; x < w; x++) tmp[row + x] = acc[x];
    }
    // vertical: whole rows at a time (the taps outer, so the reads run along rows), summed in float64 as the
    // clamped path sums in a number
    for (let y = 0; y < h; y++) {
      acc.fill(0);
      for (let i = -r; i <= r; i++) {
        const kv = kernel[i + r];
        const from = o + Math.min(h - 1, Math.max(0, y + i)) * w;
        for (let x = 0; x < w; x++) acc[x] += kv * tmp[from + x];
      }
      const row = o + y * w;
      for (let x = 0; x < w; x++) out[row + x] = acc[x];
    }
  }
  return out;
}
