/**
 * Colour anchoring, a refinement stage shared by both methods: the fill's low frequencies are replaced by
 * (a share `ANCHOR_WEIGHT` of the way) those of the harmonic (Laplace) interpolation of the known colours
 * around the hole.
 *
 * Why: measured on full-resolution photos (models/default/REPORT.md), the CPU-trained models often paint
 * blobs of the wrong colour, while smooth interpolation of the border colours gets the colours right and
 * the structure wrong. The fill keeps its own detail finer than the blur's scale, and its own colours
 * within a few pixels of the edge; the photo-texture stage adds the photo's grain on top. Off, the method's
 * own colours are seen as they are.
 */
import { harmonicFill } from './laplace.js';
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
 * The anchoring fades in from 2 px inside the mask's edge over this many pixels: in thin scratches the
 * learned fill is far better than any interpolation (38.7 dB against OpenCV Telea's 27.1 on the test
 * photos), and anchoring them everywhere cost 4 dB there.
 */
const FADE_PX = 6;

/**
 * What anchoring needs besides the fill: the harmonic interpolation of the region's known pixels, each
 * pixel's distance to them and the mask's bounding box. They depend on the known pixels and the mask only,
 * so a region computes them once for all its samples.
 */
export class ColourAnchor {
  private constructor(
    private readonly interp: Float32Array, // planar RGB [3, h, w] in [-1, 1]
    readonly distance: Float32Array, // chamfer distance to the nearest known pixel [h, w]
    private readonly box: Box | null, // the mask's set pixels; null: none
  ) {}

  /** null when no pixel of the region is known. */
  static of(region: Pixels, mask: Uint8Array): ColourAnchor | null {
    const { width: w, height: h } = region;
    const interp = toPlanar(region);
    if (!harmonicFill(interp, 3, mask, w, h)) return null;
    return new ColourAnchor(interp, chamferDistance(mask, w, h), maskBox(mask, w, h));
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
    const bw = box.x1 - box.x0;
    const bn = bw * (box.y1 - box.y0);
    for (let y = box.y0; y < box.y1; y++) {
      for (let x = box.x0; x < box.x1; x++) {
        const i = y * w + x;
        if (!mask[i]) continue;
        const f = weight * Math.min(1, Math.max(0, (this.distance[i] - 2) / FADE_PX));
        if (f === 0) continue;
        const j = (y - box.y0) * bw + (x - box.x0);
        for (let c = 0; c < 3; c++) {
          const v = img[c * n + i] + f * (this.interp[c * n + i] - low[c * bn + j]);
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
