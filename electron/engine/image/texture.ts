/**
 * Stage 3 of a fill: texture from the photo itself, guided by the learned fill.
 *
 * A learned fill gets the colours and shapes (the low frequencies) from its global context, but a 4x4-pixel
 * code cell carries no sub-pixel grain, so deep inside a hole it is smooth. This stage keeps the learned
 * fill's low frequencies and takes the high frequencies from the photo's own known pixels: a guided
 * PatchMatch (Barnes et al. 2009) matches every hole pixel's 7x7 neighbourhood of the *blurred* fill to a
 * fully known 7x7 neighbourhood of the blurred photo (the fill decides what goes where), then copies that
 * source's high-pass detail (photo minus its blur) onto the fill's blur (the photo supplies the grain), in
 * the spirit of Yang et al. (CVPR 2017) refining a network's coarse prediction with patch synthesis.
 * Propagation makes neighbouring hole pixels copy from neighbouring sources, so the grain is coherent.
 *
 * Pixels the learned fill already gets right keep it: the detail fades in over `fadePx` pixels from the
 * mask's edge after 2 px, so thin scratches (up to 4-5 px wide) keep the learned fill.
 * Everything is in typed arrays; the buffer is the region's patch (photo pixels with the fill pasted in).
 */
import type { Box } from '../../shared/regions.js';
import { Rng } from '../math/rng.js';
import { chamferDistance } from './composite.js';
import { maxValue, type Pixels } from './pixels.js';

export interface TextureOptions {
  seed: number;
  /** PatchMatch sweeps (alternating scan order). */
  iterations?: number;
  /** Distance from the mask's edge over which the photo's detail fades in, pixels. */
  fadePx?: number;
  /** Each pixel's chamfer distance to the nearest unmasked one, when the caller has it already. */
  distance?: Float32Array;
  /** Amplitude of the copied detail (default DETAIL_GAIN). */
  gain?: number;
  /** Blur separating the fill's low frequencies from the detail, pixels (3: cracks, leaves and bricks are detail). */
  sigma?: number;
}

/**
 * Amplitude of the photo's detail put into the hole. Copied detail is uncorrelated with what the hole hid,
 * so every unit of its energy adds a unit of squared error: at full amplitude (detail ratio ~1.1 on the
 * test photos) the masked PSNR fell 0.75 dB; at 0.7 the detail ratio is about half the photo's and the
 * cost about half (models/default/REPORT.md).
 */
export const DETAIL_GAIN = 0.7;

/** Patch radius: 7x7 patches. */
const R = 3;
/** The guide distance is sampled on a 4x4 lattice of the 7x7 patch: the guide is blurred, so it loses little. */
const LATTICE = [-3, -1, 1, 3];
/** The detail term's pixels: the 8 neighbours, whose grain must continue into the copied piece. */
const NEIGHBOURS: [number, number][] = [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]];
/**
 * Cost of a seam, in units of the photo's mean squared detail (summed over RGB): what a match pays for each
 * 4-neighbour in the hole whose match it does not continue.
 */
const SEAM = 2;

/**
 * Replaces the detail of the masked pixels of `region` (RGBA, 8 or 16 bits) in place. `mask` is 1 for the
 * filled pixels (w x h). Returns false, changing nothing, when the region has no fully known 7x7 patch to
 * copy from (e.g. the whole region is masked).
 */
export function synthesizeTexture(region: Pixels, mask: Uint8Array, opts: TextureOptions): boolean {
  const { width: w, height: h } = region;
  const n = w * h;
  const targets: number[] = [];
  for (let i = 0; i < n; i++) if (mask[i]) targets.push(i);
  if (targets.length === 0) return false;

  const scale = maxValue(region) / 255; // work in 8-bit units at any depth
  const img = new Float32Array(3 * n); // planar RGB [3, h, w]
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) img[c * n + i] = region.data[i * 4 + c] / scale;
  const low = gaussianBlur(img, w, h, opts.sigma ?? 3);
  const detail = new Float32Array(3 * n); // the photo's high-pass; hole pixels' values are never read
  for (let i = 0; i < 3 * n; i++) detail[i] = img[i] - low[i];
  const nnf = match(low, detail, w, h, mask, new Rng(opts.seed), opts.iterations ?? 3);
  if (!nnf) return false;

  const dist = opts.distance ?? chamferDistance(mask, w, h);
  const fadePx = opts.fadePx ?? 4;
  const gain = opts.gain ?? DETAIL_GAIN;
  const top = maxValue(region);
  for (const p of targets) {
    const f = Math.min(1, Math.max(0, (dist[p] - 2) / fadePx));
    if (f === 0) continue;
    const q = nnf[p];
    for (let c = 0; c < 3; c++) {
      const o = c * n;
      const detailed = low[o + p] + gain * detail[o + q];
      const v = ((1 - f) * img[o + p] + f * detailed) * scale;
      region.data[p * 4 + c] = v <= 0 ? 0 : v >= top ? top : Math.round(v);
    }
  }
  return true;
}

/** Centres whose whole 7x7 patch lies inside the buffer and is unmasked (a summed-area table of the mask). */
function validSources(mask: Uint8Array, w: number, h: number): Int32Array {
  const sat = new Int32Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += mask[y * w + x] ? 1 : 0;
      sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
    }
  }
  const out: number[] = [];
  for (let y = R; y < h - R; y++) {
    for (let x = R; x < w - R; x++) {
      const x0 = x - R, x1 = x + R + 1, y0 = y - R, y1 = y + R + 1;
      const masked = sat[y1 * (w + 1) + x1] - sat[y0 * (w + 1) + x1] - sat[y1 * (w + 1) + x0] + sat[y0 * (w + 1) + x0];
      if (masked === 0) out.push(y * w + x);
    }
  }
  return Int32Array.from(out);
}

/** Hole pixels above which matching starts one level coarser (half the side) and is refined here. */
const PYRAMID_MIN_TARGETS = 4096;

/**
 * Coarse to fine: the nearest-neighbour field is found on a half-resolution copy first (recursively, while
 * the hole is large), where the same 7x7 lattice spans twice the photo's pixels, so the pieces copied follow
 * larger structures; it is then upsampled and refined with one sweep at this level. Returns null when no
 * fully known patch exists at this level.
 */
function match(g: Float32Array, detail: Float32Array, w: number, h: number, mask: Uint8Array, rng: Rng, iterations: number): Int32Array | null {
  const sources = validSources(mask, w, h);
  if (sources.length === 0) return null;
  const targets: number[] = [];
  for (let i = 0; i < w * h; i++) if (mask[i]) targets.push(i);
  let init: Int32Array | null = null;
  if (targets.length > PYRAMID_MIN_TARGETS && w >= 64 && h >= 64) {
    const half = halve(g, detail, mask, w, h);
    const coarse = match(half.g, half.detail, half.w, half.h, half.mask, rng, iterations);
    if (coarse) init = upsampleField(coarse, half.w, half.h, w, h);
  }
  return matchPatches(g, detail, w, h, sources, targets, rng, init ? 1 : iterations, init);
}

/** 2x2 box-averaged guide and detail; a coarse pixel is masked when any of its four is. */
function halve(g: Float32Array, detail: Float32Array, mask: Uint8Array, w: number, h: number) {
  const w2 = w >> 1, h2 = h >> 1, n = w * h, n2 = w2 * h2;
  const g2 = new Float32Array(3 * n2), d2 = new Float32Array(3 * n2), m2 = new Uint8Array(n2);
  for (let y = 0; y < h2; y++) {
    for (let x = 0; x < w2; x++) {
      const i = 2 * y * w + 2 * x;
      const j = y * w2 + x;
      m2[j] = mask[i] | mask[i + 1] | mask[i + w] | mask[i + w + 1];
      for (let c = 0; c < 3; c++) {
        const o = c * n;
        g2[c * n2 + j] = 0.25 * (g[o + i] + g[o + i + 1] + g[o + i + w] + g[o + i + w + 1]);
        d2[c * n2 + j] = 0.25 * (detail[o + i] + detail[o + i + 1] + detail[o + i + w] + detail[o + i + w + 1]);
      }
    }
  }
  return { g: g2, detail: d2, mask: m2, w: w2, h: h2 };
}

/** A coarse field's matches at twice the resolution: each pixel keeps its offset within its 2x2 block. */
function upsampleField(coarse: Int32Array, w2: number, h2: number, w: number, h: number): Int32Array {
  const out = new Int32Array(w * h).fill(-1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const q = coarse[Math.min(h2 - 1, y >> 1) * w2 + Math.min(w2 - 1, x >> 1)];
      if (q < 0) continue;
      const qx = 2 * (q % w2) + (x & 1);
      const qy = 2 * Math.floor(q / w2) + (y & 1);
      if (qx < w && qy < h) out[y * w + x] = qy * w + qx;
    }
  }
  return out;
}

/**
 * PatchMatch for every target pixel: the source centre minimising
 *   |guide(target) - guide(source)|^2 over a 4x4 lattice of the 7x7 patch
 *   + 2 |detail(known neighbour) - detail(source's neighbour)|^2 over the target's known 8 neighbours
 * where guide is the blurred image (the fill decides what goes where) and detail the photo's high-pass
 * (the grain continues across the mask's edge), plus SEAM times the detail's mean energy for each hole
 * neighbour whose match it does not continue (the seam it makes; cf. the coherence parameter of Hertzmann
 * et al.'s Image Analogies), so the copies come in whole pieces of texture rather than single pixels.
 * Comparing the detail of hole pixels too was tried: it favours sources with little detail (their SSD to anything is small) and the grain
 * came out faint and speckled. `init` seeds the field (from the coarser level). Returns the source index
 * per pixel.
 */
function matchPatches(g: Float32Array, detail: Float32Array, w: number, h: number, sources: Int32Array, targets: number[], rng: Rng, iterations: number, init: Int32Array | null): Int32Array {
  const n = w * h;
  const isSource = new Uint8Array(n);
  for (const q of sources) isSource[q] = 1;
  const offX: number[] = [];
  const offY: number[] = [];
  for (const dy of LATTICE) for (const dx of LATTICE) { offX.push(dx); offY.push(dy); }
  const K = offX.length;
  const J = NEIGHBOURS.length;
  const offsets = offX.map((dx, k) => offY[k] * w + dx);
  const nbOffsets = NEIGHBOURS.map(([dx, dy]) => dy * w + dx);
  // Each target's guide samples [targets, 3, K] and neighbour pixels [targets, J] (clamped at the edge).
  const tp = new Float32Array(targets.length * 3 * K);
  const around = new Int32Array(targets.length * J);
  const clampIndex = (x: number, y: number) => Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x));
  targets.forEach((p, t) => {
    const px = p % w, py = (p - px) / w;
    for (let k = 0; k < K; k++) {
      const i = clampIndex(px + offX[k], py + offY[k]);
      for (let c = 0; c < 3; c++) tp[(t * 3 + c) * K + k] = g[c * n + i];
    }
    for (let j = 0; j < J; j++) around[t * J + j] = clampIndex(px + NEIGHBOURS[j][0], py + NEIGHBOURS[j][1]);
  });
  const nnf = new Int32Array(n).fill(-1); // hole pixel -> source; -1 on known pixels
  const distance = (t: number, q: number, limit: number): number => {
    let s = 0;
    for (let c = 0; c < 3; c++) {
      const base = (t * 3 + c) * K;
      const gq = c * n + q;
      for (let k = 0; k < K; k++) {
        const d = tp[base + k] - g[gq + offsets[k]];
        s += d * d;
      }
      // early exit, after each channel: already worse than the best (a partial sum only grows, so the
      // match chosen is the one the whole sum would choose)
      if (s >= limit) return s;
    }
    for (let j = 0; j < J; j++) {
      const i = around[t * J + j];
      if (nnf[i] >= 0) continue; // a hole pixel: continuity there is the coherence factor's job
      const qj = q + nbOffsets[j];
      for (let c = 0; c < 3; c++) {
        const d = detail[c * n + i] - detail[c * n + qj];
        s += 2 * d * d; // 8 dense samples against the guide's 16 on a lattice: weigh them alike
      }
    }
    return s;
  };

  let energy = 0;
  for (const q of sources) for (let c = 0; c < 3; c++) energy += detail[c * n + q] ** 2;
  const seam = (SEAM * energy) / sources.length;
  // Seams a match q at p makes: its 4-neighbours in the hole whose match is not q shifted alike.
  const seams = (p: number, q: number): number => {
    const x = p % w;
    let k = 0;
    if (x > 0 && nnf[p - 1] >= 0 && nnf[p - 1] !== q - 1) k++;
    if (x < w - 1 && nnf[p + 1] >= 0 && nnf[p + 1] !== q + 1) k++;
    if (p >= w && nnf[p - w] >= 0 && nnf[p - w] !== q - w) k++;
    if (p + w < n && nnf[p + w] >= 0 && nnf[p + w] !== q + w) k++;
    return k * seam;
  };
  const best = new Float32Array(targets.length);
  for (const p of targets) nnf[p] = init && init[p] >= 0 && isSource[init[p]] ? init[p] : sources[rng.int(sources.length)];
  targets.forEach((p, t) => { best[t] = seams(p, nnf[p]) + distance(t, nnf[p], Infinity); });
  const tryCandidate = (t: number, p: number, q: number): void => {
    if (q < 0 || q >= n || !isSource[q] || q === nnf[p]) return;
    const extra = seams(p, q);
    if (extra >= best[t]) return;
    const d = extra + distance(t, q, best[t] - extra);
    if (d < best[t]) {
      best[t] = d;
      nnf[p] = q;
    }
  };
  const maxRadius = Math.max(w, h);
  for (let it = 0; it < iterations; it++) {
    const forward = it % 2 === 0;
    const step = forward ? 1 : -1;
    for (let k = 0; k < targets.length; k++) {
      const t = forward ? k : targets.length - 1 - k;
      const p = targets[t];
      // The neighbours' matches changed since best[t] was measured: measure again before comparing.
      best[t] = seams(p, nnf[p]) + distance(t, nnf[p], Infinity);
      // Propagation: the neighbours before p in scan order, their sources shifted by one.
      const x = p % w;
      if (x - step >= 0 && x - step < w && nnf[p - step] >= 0) tryCandidate(t, p, nnf[p - step] + step);
      const up = p - step * w;
      if (up >= 0 && up < n && nnf[up] >= 0) tryCandidate(t, p, nnf[up] + step * w);
      // Random search around the best source, halving the radius; plus one draw from anywhere.
      for (let r = maxRadius; r >= 1; r >>= 1) {
        const q = nnf[p];
        const qx = (q % w) + Math.round((rng.uniform() * 2 - 1) * r);
        const qy = Math.floor(q / w) + Math.round((rng.uniform() * 2 - 1) * r);
        if (qx >= 0 && qx < w && qy >= 0 && qy < h) tryCandidate(t, p, qy * w + qx);
      }
      tryCandidate(t, p, sources[rng.int(sources.length)]);
    }
  }
  return nnf;
}

/**
 * `gaussianBlur`'s values inside the box [x0, x1) x [y0, y1) only, as a planar [3, y1 - y0, x1 - x0] array,
 * computed from the box grown by the kernel's radius (a hole's low frequencies need not cost the whole
 * region's blur). Bit for bit what the full blur gives there: every output reads only pixels within the
 * radius, which the grown box holds, and the window's edges clamp only where they are the image's.
 */
export function gaussianBlurBox(img: Float32Array, w: number, h: number, sigma: number, box: Box): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const wx0 = Math.max(0, box.x0 - r), wy0 = Math.max(0, box.y0 - r);
  const ww = Math.min(w, box.x1 + r) - wx0, wh = Math.min(h, box.y1 + r) - wy0;
  const n = w * h, wn = ww * wh;
  const win = new Float32Array(3 * wn);
  for (let c = 0; c < 3; c++) for (let y = 0; y < wh; y++) win.set(img.subarray(c * n + (wy0 + y) * w + wx0, c * n + (wy0 + y) * w + wx0 + ww), c * wn + y * ww);
  const blurred = gaussianBlur(win, ww, wh, sigma);
  const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
  const out = new Float32Array(3 * bw * bh);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < bh; y++) {
      const from = c * wn + (box.y0 - wy0 + y) * ww + (box.x0 - wx0);
      out.set(blurred.subarray(from, from + bw), c * bw * bh + y * bw);
    }
  }
  return out;
}

/**
 * Separable Gaussian blur of a planar [3, h, w] image, edges clamped. Each pass runs tap by tap along whole
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
  const tmp = new Float32Array(3 * n);
  const out = new Float32Array(3 * n);
  const acc = new Float64Array(w);
  for (let c = 0; c < 3; c++) {
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
