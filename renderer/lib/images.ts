import type { Patch, RgbaImage } from '../../electron/shared/contract';
import type { AppliedPatch } from './edits';

export function newCanvas(w: number, h: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = Math.max(1, w);
  c.height = Math.max(1, h);
  return c;
}

export function ctx2d(c: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = c.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('2D canvas unavailable');
  return ctx;
}

function imageData(img: RgbaImage): ImageData {
  const clamped = new Uint8ClampedArray(img.data.buffer as ArrayBuffer, img.data.byteOffset, img.data.byteLength);
  return new ImageData(clamped, img.width, img.height);
}

export function putRgba(c: HTMLCanvasElement, img: RgbaImage, x = 0, y = 0): void {
  ctx2d(c).putImageData(imageData(img), x, y);
}

export function rgbaToCanvas(img: RgbaImage): HTMLCanvasElement {
  const c = newCanvas(img.width, img.height);
  putRgba(c, img);
  return c;
}

/** A downscaled copy whose long side is at most `maxSide` (for thumbnails and zoomed-out display). */
export function downscale(src: HTMLCanvasElement, maxSide: number): HTMLCanvasElement {
  const s = Math.min(1, maxSide / Math.max(src.width, src.height));
  if (s === 1) return src;
  const c = newCanvas(Math.round(src.width * s), Math.round(src.height * s));
  const ctx = ctx2d(c);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(src, 0, 0, c.width, c.height);
  return c;
}

/** Copy a rectangle out of an RGBA image. */
export function cropRgba(img: RgbaImage, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let r = 0; r < h; r++) {
    const src = ((y + r) * img.width + x) * 4;
    out.set(img.data.subarray(src, src + w * 4), r * w * 4);
  }
  return out;
}

/** Write a rectangle of RGBA pixels into an image in place. */
export function blitRgba(img: RgbaImage, x: number, y: number, w: number, h: number, px: Uint8Array): void {
  for (let r = 0; r < h; r++) img.data.set(px.subarray(r * w * 4, (r + 1) * w * 4), ((y + r) * img.width + x) * 4);
}

/** The part of a patch inside the image, or null when none is. */
function clipToImage(img: RgbaImage, p: Patch): { x0: number; y0: number; w: number; h: number } | null {
  const x0 = Math.max(0, p.x), y0 = Math.max(0, p.y);
  const x1 = Math.min(img.width, p.x + p.image.width), y1 = Math.min(img.height, p.y + p.image.height);
  return x1 > x0 && y1 > y0 ? { x0, y0, w: x1 - x0, h: y1 - y0 } : null;
}

/** Clip a patch to the image and remember the pixels it replaces, for undo. */
export function toAppliedPatches(img: RgbaImage, patches: Patch[]): AppliedPatch[] {
  const out: AppliedPatch[] = [];
  for (const p of patches) {
    const box = clipToImage(img, p);
    if (!box) continue;
    const { x0, y0, w, h } = box;
    const after = cropRgba(p.image, x0 - p.x, y0 - p.y, w, h);
    out.push({ x: x0, y: y0, width: w, height: h, before: cropRgba(img, x0, y0, w, h), after });
  }
  return out;
}

/** A result patch with the mask it was filled under, cropped to the patch (one byte per pixel). */
export interface MaskedPatch extends Patch {
  mask: Uint8Array;
}

/**
 * Like `toAppliedPatches`, but only the pixels under each patch's own mask (>= 128, where the engine
 * may change pixels) are written: an older result lands exactly where it was filled, and what changed
 * around it since (another applied result in its box) stays.
 */
export function maskedPatches(img: RgbaImage, patches: readonly MaskedPatch[]): AppliedPatch[] {
  const out: AppliedPatch[] = [];
  for (const p of patches) {
    const box = clipToImage(img, p);
    if (!box) continue;
    const { x0, y0, w, h } = box;
    const before = cropRgba(img, x0, y0, w, h);
    const after = before.slice();
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const px = x0 - p.x + x, py = y0 - p.y + y;
        if (p.mask[py * p.image.width + px]! < 128) continue;
        const src = (py * p.image.width + px) * 4, dst = (y * w + x) * 4;
        for (let c = 0; c < 4; c++) after[dst + c] = p.image.data[src + c]!;
      }
    }
    out.push({ x: x0, y: y0, width: w, height: h, before, after });
  }
  return out;
}

/** The image with a sample's patches pasted, as a new image (the document is untouched). */
export function composite(img: RgbaImage, patches: Patch[]): RgbaImage {
  const out: RgbaImage = { width: img.width, height: img.height, data: img.data.slice() };
  for (const a of toAppliedPatches(img, patches)) blitRgba(out, a.x, a.y, a.width, a.height, a.after);
  return out;
}

/** |a - b| per channel, amplified so small changes show; alpha opaque. */
export function difference(a: RgbaImage, b: RgbaImage, gain = 4): RgbaImage {
  const out = new Uint8Array(a.data.length);
  for (let i = 0; i < out.length; i += 4) {
    for (let c = 0; c < 3; c++) out[i + c] = Math.min(255, Math.abs(a.data[i + c]! - b.data[i + c]!) * gain);
    out[i + 3] = 255;
  }
  return { width: a.width, height: a.height, data: out };
}

export async function canvasToBytes(c: HTMLCanvasElement, type = 'image/png'): Promise<Uint8Array> {
  const blob = await new Promise<Blob | null>((res) => c.toBlob(res, type));
  if (!blob) throw new Error('could not encode the canvas');
  return new Uint8Array(await blob.arrayBuffer());
}

export function canvasToRgba(c: HTMLCanvasElement): RgbaImage {
  const d = ctx2d(c).getImageData(0, 0, c.width, c.height);
  return { width: c.width, height: c.height, data: new Uint8Array(d.data.buffer) };
}

/** A patch drawn over a base image in the compare view, in image pixels. */
export interface Layer {
  x: number;
  y: number;
  canvas: HTMLCanvasElement;
}

/** Canvases for a sample's patches, or (difference) for |patch - original| amplified, patch-sized. */
export function patchLayers(original: RgbaImage, patches: Patch[], diff: boolean): Layer[] {
  return appliedLayers(toAppliedPatches(original, patches), diff);
}

/** Canvases for applied patches' `after` pixels, or (difference) for |after - before| amplified. */
export function appliedLayers(applied: readonly AppliedPatch[], diff: boolean): Layer[] {
  return applied.map((a) => {
    const after: RgbaImage = { width: a.width, height: a.height, data: a.after };
    const img = diff ? difference(after, { width: a.width, height: a.height, data: a.before }) : after;
    return { x: a.x, y: a.y, canvas: rgbaToCanvas(img) };
  });
}

/** Bounding box of patches, for zooming the compare view onto what changed. */
export function patchBounds(patches: Patch[]): { x: number; y: number; w: number; h: number } | null {
  if (!patches.length) return null;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of patches) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x + p.image.width);
    y1 = Math.max(y1, p.y + p.image.height);
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}
