/**
 * The fill request for the open photo: only the window of it the fill reads, framed in the photo. The
 * engine plans the same crops on a window as on the whole photo and returns patches in photo coordinates,
 * so a small mask on a 24 MP photo sends a few hundred kilobytes instead of 120 MB.
 */
import type { FillRequest, FillSettings, MaskImage, RgbaImage } from '../../electron/shared/contract';
import { cropOptionsFor, fillWindow } from '../../electron/shared/regions';
import { cropRgba } from './images';

/** Copy a rectangle out of a one-byte-per-pixel mask. */
export function cropMask(mask: MaskImage, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) out.set(mask.data.subarray((y + r) * mask.width + x, (y + r) * mask.width + x + w), r * w);
  return out;
}

/**
 * `mask` is the full-resolution mask of `image`; `imageSize` the pack's model input side
 * (`info.grid * info.downsample`). Null when the mask is empty.
 */
export function buildFillRequest(image: RgbaImage, mask: MaskImage, settings: FillSettings, imageSize: number): FillRequest | null {
  const win = fillWindow(mask, cropOptionsFor(imageSize));
  if (!win) return null;
  const { x0, y0 } = win;
  const w = win.x1 - x0, h = win.y1 - y0;
  if (w === image.width && h === image.height) return { image, mask, settings };
  return {
    image: { width: w, height: h, data: cropRgba(image, x0, y0, w, h) },
    mask: { width: w, height: h, data: cropMask(mask, x0, y0, w, h) },
    settings,
    frame: { x: x0, y: y0, width: image.width, height: image.height },
  };
}
