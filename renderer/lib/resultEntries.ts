/** A method's fill result as entries of the results history: each sample's pixels with their mask, and a thumbnail. */
import type { MaskImage, MethodResult, Patch, RgbaImage } from '../../electron/shared/contract';
import type { NewEntry, ResultEntry } from '../state/results.svelte';
import { canvasToRgba, ctx2d, newCanvas, patchBounds, rgbaToCanvas, type MaskedPatch } from './images';
import { METHOD_LABEL } from './sheet';

/** Long side of a history thumbnail, in pixels. */
export const THUMB_SIDE = 96;

/** The mask a fill was sent with: `mask` covers the photo from (x, y) on (the fill's window). */
export interface FillMask {
  mask: MaskImage;
  x: number;
  y: number;
}

/** The fill mask under a box of the photo (0 outside its window). */
function maskUnder(m: FillMask, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  const mx0 = Math.max(0, x - m.x), mx1 = Math.min(m.mask.width, x - m.x + w);
  if (mx1 <= mx0) return out;
  for (let r = 0; r < h; r++) {
    const my = y - m.y + r;
    if (my < 0 || my >= m.mask.height) continue;
    out.set(m.mask.data.subarray(my * m.mask.width + mx0, my * m.mask.width + mx1), r * w + mx0 - (x - m.x));
  }
  return out;
}

/** The filled area with as much of the photo again around it, scaled to THUMB_SIDE. */
function thumbnail(photo: HTMLCanvasElement, patches: Patch[]): RgbaImage {
  const b = patchBounds(patches) ?? { x: 0, y: 0, w: photo.width, h: photo.height };
  const m = Math.max(b.w, b.h) / 2;
  const x0 = Math.max(0, Math.floor(b.x - m)), y0 = Math.max(0, Math.floor(b.y - m));
  const x1 = Math.min(photo.width, Math.ceil(b.x + b.w + m)), y1 = Math.min(photo.height, Math.ceil(b.y + b.h + m));
  const s = THUMB_SIDE / Math.max(x1 - x0, y1 - y0);
  const c = newCanvas(Math.round((x1 - x0) * s), Math.round((y1 - y0) * s));
  const ctx = ctx2d(c);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(photo, x0, y0, x1 - x0, y1 - y0, 0, 0, c.width, c.height);
  for (const p of patches) ctx.drawImage(rgbaToCanvas(p.image), (p.x - x0) * s, (p.y - y0) * s, p.image.width * s, p.image.height * s);
  return canvasToRgba(c);
}

/** Every sample of `result`, filled over `photo` under `fillMask`, as history entries. */
export function resultEntries(result: MethodResult, fillMask: FillMask, photo: HTMLCanvasElement, madeAt = Date.now()): NewEntry[] {
  const { samples, ...meta } = result;
  // The samples' patches share their boxes (the mask's regions): one mask crop per box serves them all.
  const crops = new Map<string, Uint8Array>();
  const maskOf = (p: Patch) => {
    const key = `${p.x},${p.y},${p.image.width},${p.image.height}`;
    let crop = crops.get(key);
    if (!crop) crops.set(key, (crop = maskUnder(fillMask, p.x, p.y, p.image.width, p.image.height)));
    return crop;
  };
  return samples.map((s, i) => ({
    sample: i,
    samples: samples.length,
    result: { ...meta, settings: { ...meta.settings, seed: s.seed } },
    madeAt,
    patches: s.patches.map((p) => ({ ...p, mask: maskOf(p) })),
    thumb: thumbnail(photo, s.patches),
  }));
}

/** How the strip, the compare view and the undo list name an entry, e.g. "Fill 2, VQ-DDM sample 1 of 3". */
export function entryName(e: Pick<ResultEntry, 'fill' | 'sample' | 'samples' | 'result'>): string {
  const method = METHOD_LABEL[e.result.method] ?? e.result.method;
  return `Fill ${e.fill}, ${method}${e.samples > 1 ? ` sample ${e.sample + 1} of ${e.samples}` : ''}`;
}

/** Where any of the entries filled: their masks, each the largest value, over the whole photo. */
export function entriesMask(entries: readonly { patches: readonly MaskedPatch[] }[], width: number, height: number): MaskImage {
  const data = new Uint8Array(width * height);
  for (const p of entries.flatMap((e) => e.patches)) {
    for (let y = Math.max(0, -p.y); y < p.image.height && p.y + y < height; y++) {
      for (let x = Math.max(0, -p.x); x < p.image.width && p.x + x < width; x++) {
        const i = (p.y + y) * width + p.x + x;
        data[i] = Math.max(data[i]!, p.mask[y * p.image.width + x]!);
      }
    }
  }
  return { width, height, data };
}
