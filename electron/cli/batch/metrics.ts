/**
 * A fill scored against the original (`--reference`), as docs/METHOD.md "Measuring a fill" defines the
 * scores and models/training/fullres.py computes them: masked PSNR (also the bench's quality curve), masked
 * SSIM (grey, 7x7 box windows) and seam (mean grey step across the mask's inner edge, 0..1). 16-bit
 * images are scored on the 8-bit scale.
 */
import type { MaskImage } from '../../shared/contract.js';
import type { Pixels } from '../../engine/image/pixels.js';

/** PSNR (dB) over the masked pixels' RGB channels of two images of the same size and depth. */
export function maskedPsnr(a: Pixels, b: Pixels, mask: MaskImage): number {
  const max = a.data instanceof Uint16Array ? 65535 : 255;
  let se = 0;
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] < 128) continue;
    for (let c = 0; c < 3; c++) {
      const d = (a.data[i * 4 + c] - b.data[i * 4 + c]) / max;
      se += d * d;
      n++;
    }
  }
  return n === 0 ? Infinity : -10 * Math.log10(se / n);
}

/** ITU-R 601 luma on the 0..255 scale. */
function grey(p: Pixels): Float64Array {
  const scale = p.data instanceof Uint16Array ? 1 / 257 : 1;
  const g = new Float64Array(p.width * p.height);
  for (let i = 0; i < g.length; i++) g[i] = (p.data[i * 4] * 0.299 + p.data[i * 4 + 1] * 0.587 + p.data[i * 4 + 2] * 0.114) * scale;
  return g;
}

/** Mean over a (2r+1)^2 box, borders reflected as OpenCV's BORDER_REFLECT (cba|abc). */
function boxBlur(src: Float64Array, w: number, h: number, r: number): Float64Array {
  const reflect = (i: number, n: number) => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
  const tmp = new Float64Array(src.length);
  const out = new Float64Array(src.length);
  const k = 2 * r + 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let d = -r; d <= r; d++) s += src[y * w + reflect(x + d, w)];
      tmp[y * w + x] = s / k;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let d = -r; d <= r; d++) s += tmp[reflect(y + d, h) * w + x];
      out[y * w + x] = s / k;
    }
  }
  return out;
}

/** The mask's bounding box grown by `margin`, inside the image. */
function maskBox(mask: MaskImage, margin: number): { x0: number; y0: number; x1: number; y1: number } | null {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (mask.data[y * mask.width + x] < 128) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return null;
  return { x0: Math.max(0, x0 - margin), y0: Math.max(0, y0 - margin), x1: Math.min(mask.width, x1 + 1 + margin), y1: Math.min(mask.height, y1 + 1 + margin) };
}

/**
 * SSIM on grey with 7x7 box windows, C1 = (0.01*255)^2, C2 = (0.03*255)^2, averaged over the mask. Only
 * the mask's box grown by the window's radius is computed: the windows of masked pixels lie inside it.
 */
export function maskedSsim(a: Pixels, b: Pixels, mask: MaskImage): number {
  const r = 3;
  const box = maskBox(mask, r);
  if (!box) return 1;
  const w = box.x1 - box.x0;
  const h = box.y1 - box.y0;
  const crop = (g: Float64Array) => {
    const out = new Float64Array(w * h);
    for (let y = 0; y < h; y++) out.set(g.subarray((box.y0 + y) * a.width + box.x0, (box.y0 + y) * a.width + box.x1), y * w);
    return out;
  };
  // Reflection at the crop's edge equals the image's only where the crop meets the image's edge; a masked
  // pixel's window never reaches the other edges (they are r pixels out).
  const x = crop(grey(a));
  const y = crop(grey(b));
  const mul = (p: Float64Array, q: Float64Array) => p.map((v, i) => v * q[i]);
  const [mx, my, xx, yy, xy] = [x, y, mul(x, x), mul(y, y), mul(x, y)].map((m) => boxBlur(m, w, h, r));
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  let sum = 0;
  let n = 0;
  for (let yy0 = 0; yy0 < h; yy0++) {
    for (let xx0 = 0; xx0 < w; xx0++) {
      if (mask.data[(box.y0 + yy0) * mask.width + box.x0 + xx0] < 128) continue;
      const i = yy0 * w + xx0;
      const vx = xx[i] - mx[i] ** 2;
      const vy = yy[i] - my[i] ** 2;
      const cov = xy[i] - mx[i] * my[i];
      sum += ((2 * mx[i] * my[i] + C1) * (2 * cov + C2)) / ((mx[i] ** 2 + my[i] ** 2 + C1) * (vx + vy + C2));
      n++;
    }
  }
  return n === 0 ? 1 : sum / n;
}

/** Mean |grey step| (0..1) between mask pixels and their unmasked 4-neighbours. */
export function seam(img: Pixels, mask: MaskImage): number {
  const g = grey(img);
  const { width: w, height: h } = img;
  const inside = (i: number) => mask.data[i] >= 128;
  let sum = 0;
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (x + 1 < w && inside(i) !== inside(i + 1)) {
        sum += Math.abs(g[i] - g[i + 1]);
        n++;
      }
      if (y + 1 < h && inside(i) !== inside(i + w)) {
        sum += Math.abs(g[i] - g[i + w]);
        n++;
      }
    }
  }
  return n === 0 ? 0 : sum / n / 255;
}

export interface Scores {
  psnr_db: number;
  ssim: number;
  seam: number;
}

export function score(reference: Pixels, fill: Pixels, mask: MaskImage): Scores {
  return { psnr_db: maskedPsnr(reference, fill, mask), ssim: maskedSsim(reference, fill, mask), seam: seam(fill, mask) };
}
