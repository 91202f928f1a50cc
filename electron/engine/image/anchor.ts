/**
 * Colour anchoring, a refinement stage shared by both methods: the fill's low frequencies are replaced by
 * (a share `ANCHOR_WEIGHT` of the way) those of an interpolation of the known colours around the hole: the
 * harmonic (Laplace) one, with lines that cross the hole carried straight (directional.ts).
 *
 * Why: measured on full-resolution photos (models/default/REPORT.md), the CPU-trained models often paint
 * blobs of the wrong colour, while smooth interpolation of the border colours gets the colours right and
 * the structure wrong. The fill keeps its own detail finer than the blur's scale, and its own colours
 * within a few pixels of the edge; the photo-texture stage adds the photo's grain on top. Off, the method's
 * own colours are seen as they are.
 */
import { interpolateHole } from './directional.js';
import { borderDetail, detailShare, type BorderDetail } from './detailCap.js';
import { chamferDistance, maskBox } from './composite.js';
import type { Box } from '../../shared/regions.js';
import { maxValue, type Pixels } from './pixels.js';
import { gaussianBlurBox } from './blur.js';

/**
 * Share of the low frequencies taken from the interpolation. Measured on the 28 validation photos at their
 * own size (56 box, blob and stroke masks, every stage, seeded; never the test photos): masked PSNR of
 * VQ-DDM / transformer 19.29 / 19.66 dB at 0.55, 19.83 / 20.09 at 0.7, 20.31 / 20.47 at 0.85 and
 * 20.71 / 20.75 at 1, better on every mask kind and on SSIM and content PSNR too. So the fill's own
 * colours at scales above the blur are replaced by the interpolation's: the CPU-trained priors' broad
 * colours are, on average, wrong more often than a smooth continuation is. (0.7 had been chosen when the
 * interpolation was an unconverged relaxation; models/default/REPORT.md.)
 */
export const ANCHOR_WEIGHT = 1;
/**
 * Blur that separates the low frequencies, pixels. At weight 1 on the same cases: sigma 2.5 scored 0.09 dB
 * above 4 (both methods), 8 scored 0.3 dB below; 4 is kept, so that the fill's own structure between 2.5
 * and 4 pixels stays its own for that tenth of a dB.
 */
const ANCHOR_SIGMA = 4;
/**
 * The fill's own detail (finer than ANCHOR_SIGMA) is kept as exp(-|its low frequencies - the
 * interpolation|^2 / DETAIL_TRUST^2) ([-1, 1] units, summed over the channels): where the fill painted
 * something else than the border continues, its detail is that other thing's. A dark mass the models
 * painted into a sky above a person's head left its outline, a grey cloud with a bright rim, on the
 * interpolation's sky. Nor is more of it kept than the photo's own detail round the hole allows
 * (detailCap.ts): where the mass's blurred colours came close to the sky's, its rim stayed as a pale wisp.
 */
const DETAIL_TRUST = 0.25;
/**
 * The anchoring fades in from 2 px inside the mask's edge over this many pixels: in thin scratches the
 * learned fill is far better than any interpolation (38.7 dB against OpenCV Telea's 27.1 on the test
 * photos), and anchoring them everywhere cost 4 dB there.
 */
const FADE_PX = 6;

/**
 * The outer RING_PX of a hole keep the learned fill (the fade above starts after them), except where the
 * hole is wide (a box or a blob, not a stroke or a scratch) and the fill there disagrees with the border: a
 * ring of the wrong colour shows as a frame round the hole. There the ring's own low frequencies (a blur of
 * its pixels only, sigma RING_SIGMA: not the known pixels beside it, not the interior) are replaced by the
 * interpolation's, in full from twice RING_FROM and not at all below it (a channel, in [-1, 1] units; lower
 * on a smooth border, below). Chosen on the validation photos (models/default/REPORT.md): the seam across
 * the mask's edge fell from 0.0273 to 0.0246 (boxes 0.0274 to 0.0234) at the same PSNR (-0.005 dB) and SSIM.
 * Counting strokes as wide (half-width over 3 px) cost them 0.08 dB, and lower fixed thresholds (10-25 of
 * 255) as much: where a stroke's ring disagrees with the smooth interpolation it is mostly an edge crossing the border,
 * which the fill gets right. A first version that compared sigma-4 blurs, reaching 12 px into the hole,
 * laid a wrong interior's correction on good edge pixels (reverted).
 */
const RING_PX = 2;
const RING_SIGMA = 1;
const RING_FROM = (20 / 255) * 2;
/**
 * Where the border is smooth the ring is corrected from a smaller disagreement: RING_CONTRAST x the local
 * standard deviation of the known pixels' grey (within RING_CONTRAST_R px), but not under RING_FLOOR (2 of
 * 255; at 4 the ring of a brushed-out head stayed 3-5 levels under a clear sky). A 1-2 px line 10-20 levels
 * darker than a clear sky showed as a frame; in texture the same step is not seen, and an edge crossing the
 * border is the fill's to keep. On the validation photos
 * (models/default/REPORT.md) the seam across the mask's edge fell from 0.0238 to 0.0230 (boxes 0.0233 to
 * 0.0218) at the same PSNR (20.72 dB) and SSIM (0.594 -> 0.593). The short fade after the ring has the same
 * threshold (it had RING_FROM: a 1-px outline of a brushed-out head 5-8 levels under a clear sky, 3 px
 * inside the edge); on the validation photos 21.22 -> 21.23 dB, SSIM and seam unchanged; the floor at 2
 * instead of 4: seam 0.0230 -> 0.0228 (boxes 0.0219 -> 0.0217), PSNR and SSIM unchanged.
 */
const RING_CONTRAST = 2;
const RING_CONTRAST_R = 4;
const RING_FLOOR = (2 / 255) * 2;
/**
 * Where the hole is wide, the anchoring fades in over this many pixels after the ring instead of FADE_PX:
 * the long fade is for thin scratches, and on a box or a blob it left the fill's own colours in a band 2-8
 * px inside the border, where a fill darker than a smooth sky drew a frame. On the validation photos
 * (models/default/REPORT.md; directional interpolation at harmonic weight 0.5, diagonals walked) 20.63 ->
 * 20.70 dB, every mask kind higher.
 */
const WIDE_FADE_PX = 2;
/** A hole is wide at a pixel when the largest distance to its border within WIDE_R px exceeds WIDE_PX. */
const WIDE_PX = 8;
const WIDE_R = 8;

/**
 * [h, w] 1 on the masked pixels within `upTo` of the border where the hole is wide (a max filter of
 * `distance`, rows then columns, within the mask's box, exceeds WIDE_PX): with RING_PX, the ring.
 */
function widePixels(distance: Float32Array, w: number, box: Box, upTo: number): Uint8Array {
  const rows = new Float32Array(distance.length);
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      let m = 0;
      for (let u = Math.max(box.x0, x - WIDE_R); u < Math.min(box.x1, x + WIDE_R + 1); u++) m = Math.max(m, distance[y * w + u]);
      rows[y * w + x] = m;
    }
  }
  const wide = new Uint8Array(distance.length);
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const i = y * w + x;
      if (!distance[i] || distance[i] > upTo) continue;
      let m = 0;
      for (let v = Math.max(box.y0, y - WIDE_R); v < Math.min(box.y1, y + WIDE_R + 1); v++) m = Math.max(m, rows[v * w + x]);
      wide[i] = m > WIDE_PX ? 1 : 0;
    }
  }
  return wide;
}

/** The ring of a region's hole, found once for all its samples. */
interface Ring {
  pixels: Uint8Array; // [h, w] 1 on the ring (`widePixels`)
  edge: Uint8Array; // [h, w] 1 on the hole's wide parts within RING_PX + FADE_PX of the border: the short fade's pixels
  from: Float32Array; // [h, w] on the edge band: the disagreement from which it is corrected (`edgeThresholds`)
  weight: Float32Array; // [3, bh, bw] over the mask's box: the blur (sigma RING_SIGMA) of the ring's indicator
}

/** The box grown by the ring blur's radius (clipped to the region), and the box in its coordinates. */
function ringWindow(w: number, h: number, box: Box) {
  const r = Math.ceil(3 * RING_SIGMA);
  const x0 = Math.max(0, box.x0 - r), y0 = Math.max(0, box.y0 - r);
  const ww = Math.min(w, box.x1 + r) - x0, wh = Math.min(h, box.y1 + r) - y0;
  return { x0, y0, ww, wh, inWindow: { x0: box.x0 - x0, y0: box.y0 - y0, x1: box.x1 - x0, y1: box.y1 - y0 } };
}

/**
 * The blur (sigma RING_SIGMA) over the mask's box [3, bh, bw] of `value` on the ring's pixels, zero off them
 * (the window is zero-padded, so nothing outside the ring takes part).
 */
function blurOnRing(pixels: Uint8Array, w: number, h: number, box: Box, value: (i: number, c: number) => number): Float32Array {
  const { x0, y0, ww, wh, inWindow } = ringWindow(w, h, box);
  const wn = ww * wh;
  const values = new Float32Array(3 * wn); // [3, wh, ww]
  for (let y = 0; y < wh; y++) {
    for (let x = 0; x < ww; x++) {
      const i = (y0 + y) * w + x0 + x;
      if (pixels[i]) for (let c = 0; c < 3; c++) values[c * wn + y * ww + x] = value(i, c);
    }
  }
  return gaussianBlurBox(values, ww, wh, RING_SIGMA, inWindow);
}

/** The ring of a hole and its blurred weights; null when the hole has no ring (no part wide enough). */
function ringOf(distance: Float32Array, w: number, h: number, box: Box, known: Float32Array): Ring | null {
  // the ring is the edge band's outer RING_PX (one max filter for both)
  const edge = widePixels(distance, w, box, RING_PX + FADE_PX);
  const pixels = edge.map((v, i) => (v && distance[i] <= RING_PX ? 1 : 0));
  if (!pixels.includes(1)) return null;
  return {
    pixels,
    weight: blurOnRing(pixels, w, h, box, () => 1),
    edge,
    from: edgeThresholds(edge, distance, known, w, h),
  };
}

/**
 * Each edge-band pixel's threshold: RING_CONTRAST x the standard deviation of the grey of the known pixels
 * within RING_CONTRAST_R of it, between RING_FLOOR and RING_FROM; RING_FROM where fewer than two known
 * pixels lie that near (`distance` is 0 on the known pixels).
 */
function edgeThresholds(pixels: Uint8Array, distance: Float32Array, known: Float32Array, w: number, h: number): Float32Array {
  const n = w * h;
  const from = new Float32Array(n);
  const r = RING_CONTRAST_R;
  for (let i = 0; i < n; i++) {
    if (!pixels[i]) continue;
    const x = i % w, y = (i - x) / w;
    let k = 0, s1 = 0, s2 = 0;
    for (let v = Math.max(0, y - r); v <= Math.min(h - 1, y + r); v++) {
      for (let u = Math.max(0, x - r); u <= Math.min(w - 1, x + r); u++) {
        const j = v * w + u;
        if (distance[j]) continue;
        const g = (known[j] + known[n + j] + known[2 * n + j]) / 3;
        k++;
        s1 += g;
        s2 += g * g;
      }
    }
    const sd = k > 1 ? Math.sqrt(Math.max(0, s2 / k - (s1 / k) ** 2)) : Infinity;
    from[i] = Math.min(RING_FROM, Math.max(RING_FLOOR, RING_CONTRAST * sd));
  }
  return from;
}

/**
 * The fill's low frequencies along the ring [3, bh, bw] over the mask's box (read on ring pixels only): a
 * blur of the ring's own pixels divided by the blur of their weights, so that neither the known pixels beside
 * the ring nor the hole's interior take part: a pale 2-px frame is measured as pale.
 */
function ringMean(img: Float32Array, w: number, h: number, box: Box, ring: Ring): Float32Array {
  const n = w * h;
  const mean = blurOnRing(ring.pixels, w, h, box, (i, c) => img[c * n + i]);
  for (let k = 0; k < mean.length; k++) mean[k] = ring.weight[k] > 0 ? mean[k] / ring.weight[k] : 0;
  return mean;
}

/**
 * What anchoring needs besides the fill: the interpolation of the region's known pixels, each
 * pixel's distance to them and the mask's bounding box. They depend on the known pixels and the mask only,
 * so a region computes them once for all its samples.
 */
export class ColourAnchor {
  private constructor(
    private readonly interp: Float32Array, // planar RGB [3, h, w] in [-1, 1]
    readonly distance: Float32Array, // chamfer distance to the nearest known pixel [h, w]
    private readonly box: Box | null, // the mask's set pixels; null: none
    private readonly ring: Ring | null, // the outer ring of the hole's wide parts; null: none
    private readonly detail: BorderDetail | null, // the photo's detail round the hole (detailCap.ts); null: none
  ) {}

  /** null when no pixel of the region is known. */
  static of(region: Pixels, mask: Uint8Array): ColourAnchor | null {
    const { width: w, height: h } = region;
    const known = toPlanar(region);
    const distance = chamferDistance(mask, w, h);
    const interp = interpolateHole(known, mask, w, h, distance);
    if (!interp) return null;
    const box = maskBox(mask, w, h);
    if (!box) return new ColourAnchor(interp, distance, null, null, null);
    return new ColourAnchor(interp, distance, box, ringOf(distance, w, h, box, known), borderDetail(known, mask, w, h, box, ANCHOR_SIGMA));
  }

  /** Anchors the masked pixels of `region` (RGBA, 8 or 16 bits; `mask`, the one given to `of`, 1 = filled) in place. */
  apply(region: Pixels, mask: Uint8Array, weight = ANCHOR_WEIGHT): void {
    const { width: w, height: h } = region;
    const n = w * h;
    const box = this.box;
    if (!box) return;
    const top = maxValue(region);
    const img = toPlanar(region);
    // the blur's low frequencies are needed under the mask only: [3, bh, bw] over its bounding box
    const low = gaussianBlurBox(img, w, h, ANCHOR_SIGMA, box);
    const ring = this.ring;
    const near = ring ? ringMean(img, w, h, box, ring) : low;
    const bw = box.x1 - box.x0;
    const bn = bw * (box.y1 - box.y0);
    // the share of the fill's own detail its amplitude leaves (detailCap.ts)
    const share = this.detail ? detailShare(this.detail, img, low, mask, w, h, box) : null;
    for (let y = box.y0; y < box.y1; y++) {
      for (let x = box.x0; x < box.x1; x++) {
        const i = y * w + x;
        if (!mask[i]) continue;
        const j = (y - box.y0) * bw + (x - box.x0);
        let f = weight * Math.min(1, Math.max(0, (this.distance[i] - RING_PX) / (ring?.edge[i] ? WIDE_FADE_PX : FADE_PX)));
        let from = low;
        if (ring?.edge[i] && f < weight) {
          // on a wide hole's edge band (the ring, where the fade is 0, and the short fade after it; past the
          // fade f is full already) a fill whose low frequencies are far off the interpolation is corrected
          // whatever the fade: a wrong-coloured ring showed as a frame, and half of a dark mass painted into a
          // sky, 3 px in, as a dark line round the hole. On the ring its own low frequencies are `near`'s; the threshold is its border's contrast's
          // on the whole band: a fill 16 levels bluer than a clear sky, half faded in 3 px inside the edge
          // under the fixed RING_FROM, drew a 1-px outline of a brushed-out head.
          const onRing = ring.pixels[i] === 1;
          if (onRing) from = near;
          const threshold = ring.from[i];
          let disagreement = 0;
          for (let c = 0; c < 3; c++) disagreement = Math.max(disagreement, Math.abs(from[c * bn + j] - this.interp[c * n + i]));
          // corrected from the threshold on, in full at twice it
          f = Math.max(f, weight * Math.min(1, Math.max(0, (disagreement - threshold) / threshold)));
        }
        if (f === 0) continue;
        // the fill's own detail (img - from) is kept as far as its colours agree with the interpolation's
        let off = 0;
        for (let c = 0; c < 3; c++) off += (from[c * bn + j] - this.interp[c * n + i]) ** 2;
        const lost = 1 - Math.exp(-off / DETAIL_TRUST ** 2) * (share ? share(x, y) : 1);
        for (let c = 0; c < 3; c++) {
          const v = img[c * n + i] + f * (this.interp[c * n + i] - from[c * bn + j] - lost * (img[c * n + i] - from[c * bn + j]));
          const q = ((v + 1) / 2) * top;
          region.data[i * 4 + c] = q <= 0 ? 0 : q >= top ? top : Math.round(q);
        }
      }
    }
  }

}

/** Planar RGB in [-1, 1] (the Laplace solver's tolerance is in these units) [3, h, w]. */
function toPlanar(region: Pixels): Float32Array {
  const n = region.width * region.height;
  const top = maxValue(region);
  const img = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) img[c * n + i] = (region.data[i * 4 + c] / top) * 2 - 1;
  return img;
}

/** Anchors one region in place; false, changing nothing, when no pixel of it is known. */
export function anchorColours(region: Pixels, mask: Uint8Array, weight = ANCHOR_WEIGHT): boolean {
  const anchor = ColourAnchor.of(region, mask);
  anchor?.apply(region, mask, weight);
  return anchor !== null;
}
