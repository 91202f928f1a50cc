/**
 * Pixel buffers the pipeline works on: 4 channels (RGBA), 8 or 16 bits per channel, so a 16-bit photo is
 * composited at its own depth and its unmasked pixels stay bit-identical.
 */
export interface Pixels {
  width: number;
  height: number;
  /** RGBA, row-major; Uint16Array for 16-bit images. */
  data: Uint8Array | Uint16Array;
}

export function maxValue(p: Pixels): number {
  return p.data instanceof Uint16Array ? 65535 : 255;
}

export function allocLike(p: Pixels, width: number, height: number): Pixels {
  const data = p.data instanceof Uint16Array ? new Uint16Array(width * height * 4) : new Uint8Array(width * height * 4);
  return { width, height, data };
}

/** Copies the rectangle (x, y, w, h) of `src` (must lie inside it). */
export function cropPixels(src: Pixels, x: number, y: number, w: number, h: number): Pixels {
  const out = allocLike(src, w, h);
  for (let r = 0; r < h; r++) {
    const from = ((y + r) * src.width + x) * 4;
    out.data.set(src.data.subarray(from, from + w * 4), r * w * 4);
  }
  return out;
}

/** Writes `src` into `dst` at (x, y), clipped to the overlap. */
export function pastePixels(dst: Pixels, src: Pixels, x: number, y: number): void {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(dst.width, x + src.width);
  const y1 = Math.min(dst.height, y + src.height);
  if (x1 <= x0 || y1 <= y0) return;
  for (let r = y0; r < y1; r++) {
    const from = ((r - y) * src.width + (x0 - x)) * 4;
    dst.data.set(src.data.subarray(from, from + (x1 - x0) * 4), (r * dst.width + x0) * 4);
  }
}

/** 8-bit RGBA copy (16-bit values are rounded down by 257). */
export function toRgba8(p: Pixels): Uint8Array {
  if (p.data instanceof Uint8Array) return p.data;
  const out = new Uint8Array(p.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(p.data[i] / 257);
  return out;
}
