/**
 * Colour anchoring, a refinement stage shared by both methods: the fill's low frequencies are replaced by
 * (a share `ANCHOR_WEIGHT` of the way) those of an interpolation of the known colours around the hole: the
 * harmonic (Laplace) one, with lines that cross the hole carried straight (directional.ts).
 *
 * Why: measured on full-resolution photos (models/default/REPORT.md), the CPU-trained models often paint
 * blobs of the wrong colour, while smooth interpolation of the border colours gets the colours right and
 * the structure wrong. Every pixel of the hole is anchored, from its edge; deep in a wide hole the fill keeps
 * its own detail finer than the blur's scale, which places the structure the photo-texture stage follows.
 * Off, the method's own colours are seen as they are. (Rules that kept the learned fill within a few px of
 * the edge, a ring and fades, were measured while the paste still blended the removed pixels into that
 * band: they kept the truth, not the model's fill, and went with the leak.)
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
 * And only from this many px into the hole: nearer the border every pixel is the interpolation's. On the
 * validation photos (112 cases, every stage; models/default/REPORT.md, "The paste blended the removed
 * pixels back in") keeping the fill's detail everywhere scored 28.44 dB on scratches against 30.58 without
 * it (OpenCV Telea 29.56), strokes 24.63 against 24.71; from 8 px in, boxes and blobs score within 0.02 dB
 * and 0.001 SSIM of the detail left out everywhere, and the learned fill still places the structure deep in a
 * wide hole that the photo-texture stage follows.
 */
const DETAIL_FROM = 8;
/**
 * What anchoring needs besides the fill: the interpolation of the region's known pixels, each pixel's
 * distance to them, the mask's bounding box and the photo's detail round the hole. They depend on the known
 * pixels and the mask only, so a region computes them once for all its samples, and the methods of a compare
 * fill once for both (regionBases.ts): plain typed arrays, which move between threads without a copy.
 */
export interface AnchorBasis {
  interp: Float32Array; // planar RGB [3, h, w] in [-1, 1]
  distance: Float32Array; // chamfer distance to the nearest known pixel [h, w]
  box: Box | null; // the mask's set pixels; null: none
  detail: BorderDetail | null; // the photo's detail round the hole (detailCap.ts); null: none
}

/** The basis of anchoring `region` under `mask` (1 = to fill); null when no pixel of the region is known. */
export function anchorBasis(region: Pixels, mask: Uint8Array): AnchorBasis | null {
  const { width: w, height: h } = region;
  const known = toPlanar(region);
  const distance = chamferDistance(mask, w, h);
  const interp = interpolateHole(known, mask, w, h, distance);
  if (!interp) return null;
  const box = maskBox(mask, w, h);
  // the border's detail is needed only where a fill's detail may be kept: DETAIL_FROM px into the hole
  const deep = box !== null && distance.some((d) => d >= DETAIL_FROM);
  return { interp, distance, box, detail: deep ? borderDetail(known, mask, w, h, box, ANCHOR_SIGMA) : null };
}

/** An anchor basis and the milliseconds it took. */
export interface PreparedBasis {
  basis: AnchorBasis | null;
  ms: number;
}

/** `anchorBasis`, timed. */
export function timedAnchorBasis(region: Pixels, mask: Uint8Array): PreparedBasis {
  const t0 = performance.now();
  const basis = anchorBasis(region, mask);
  return { basis, ms: performance.now() - t0 };
}

/** The buffers of a basis, for a transfer list. */
export function basisBuffers(basis: AnchorBasis | null): ArrayBuffer[] {
  if (!basis) return [];
  return [basis.interp, basis.distance, ...(basis.detail ? [basis.detail.amplitude] : [])].map((a) => a.buffer as ArrayBuffer);
}

/** Colour anchoring of one region's samples, from its basis. */
export class ColourAnchor {
  constructor(private readonly basis: AnchorBasis) {}

  /** null when no pixel of the region is known. */
  static of(region: Pixels, mask: Uint8Array): ColourAnchor | null {
    const basis = anchorBasis(region, mask);
    return basis && new ColourAnchor(basis);
  }

  get distance(): Float32Array {
    return this.basis.distance;
  }

  /** Anchors the masked pixels of `region` (RGBA, 8 or 16 bits; `mask`, the one given to `of`, 1 = filled) in place. */
  apply(region: Pixels, mask: Uint8Array, weight = ANCHOR_WEIGHT): void {
    const { width: w, height: h } = region;
    const n = w * h;
    const { box, interp, distance, detail } = this.basis;
    if (!box) return;
    const top = maxValue(region);
    const img = toPlanar(region);
    // the blur's low frequencies are needed under the mask only: [3, bh, bw] over its bounding box
    const low = gaussianBlurBox(img, w, h, ANCHOR_SIGMA, box);
    const bw = box.x1 - box.x0;
    const bn = bw * (box.y1 - box.y0);
    // the share of the fill's own detail its amplitude leaves (detailCap.ts)
    const share = detail ? detailShare(detail, img, low, mask, w, h, box) : null;
    for (let y = box.y0; y < box.y1; y++) {
      for (let x = box.x0; x < box.x1; x++) {
        const i = y * w + x;
        if (!mask[i]) continue;
        const j = (y - box.y0) * bw + (x - box.x0);
        // the fill's own detail (img - low) is kept deep in the hole, as far as its colours agree with the
        // interpolation's and its amplitude with the photo's
        let kept = 0;
        if (distance[i] >= DETAIL_FROM) {
          let off = 0;
          for (let c = 0; c < 3; c++) off += (low[c * bn + j] - interp[c * n + i]) ** 2;
          kept = Math.exp(-off / DETAIL_TRUST ** 2) * (share ? share(x, y) : 1);
        }
        for (let c = 0; c < 3; c++) {
          const v = img[c * n + i] + weight * (interp[c * n + i] - low[c * bn + j] - (1 - kept) * (img[c * n + i] - low[c * bn + j]));
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
