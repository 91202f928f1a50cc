import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type MaskImage, type RgbaImage } from '../../electron/shared/contract';
import { cropOptionsFor, planRegions } from '../../electron/shared/regions';
import { buildFillRequest } from '../../renderer/lib/fillRequest';
import { paintedBounds } from '../../renderer/lib/maskRender';

function photo(w: number, h: number): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
  return { width: w, height: h, data };
}

function maskWith(w: number, h: number, rects: [number, number, number, number][]): MaskImage {
  const data = new Uint8Array(w * h);
  for (const [x0, y0, rw, rh] of rects) for (let y = y0; y < y0 + rh; y++) data.fill(255, y * w + x0, y * w + x0 + rw);
  return { width: w, height: h, data };
}

describe('fill request', () => {
  const W = 6000, H = 4000;
  const image = photo(W, H);

  it('carries only the window a small mask reads, framed in the photo', () => {
    const mask = maskWith(W, H, [[2990, 1995, 30, 12]]);
    const req = buildFillRequest(image, mask, DEFAULT_SETTINGS, 64)!;
    const f = req.frame!;
    expect(f).toMatchObject({ width: W, height: H });
    // 120 MB for the whole photo; this is a few kilobytes.
    const bytes = req.image.data.byteLength + req.mask.data.byteLength;
    expect(bytes).toBeLessThan(100_000);
    expect(req.image.data.byteLength).toBe(req.image.width * req.image.height * 4);
    expect(req.mask).toMatchObject({ width: req.image.width, height: req.image.height });
    // The window holds every masked pixel, and its pixels are the photo's at the frame's offset.
    expect(f.x).toBeLessThanOrEqual(2990);
    expect(f.x + req.image.width).toBeGreaterThanOrEqual(3020);
    expect(req.mask.data.filter((v) => v >= 128).length).toBe(30 * 12);
    for (const [x, y] of [[0, 0], [req.image.width - 1, req.image.height - 1], [17, 9]] as const) {
      const inWin = (y * req.image.width + x) * 4, inPhoto = ((f.y + y) * W + f.x + x) * 4;
      expect([...req.image.data.subarray(inWin, inWin + 4)]).toEqual([...image.data.subarray(inPhoto, inPhoto + 4)]);
    }
  });

  it('plans the same crops on the window as on the whole photo, near the border too', () => {
    const mask = maskWith(W, H, [[5, 3990, 40, 10], [3000, 2000, 200, 150], [3300, 2100, 10, 10]]);
    const req = buildFillRequest(image, mask, DEFAULT_SETTINGS, 64)!;
    const f = req.frame!;
    const bounds = { x0: -f.x, y0: -f.y, x1: W - f.x, y1: H - f.y };
    const inPhoto = planRegions(req.mask, cropOptionsFor(64), bounds).flatMap((r) => r.tiles.map((t) => [t.x + f.x, t.y + f.y, t.size]));
    const whole = planRegions(mask, cropOptionsFor(64)).flatMap((r) => r.tiles.map((t) => [t.x, t.y, t.size]));
    expect(inPhoto).toEqual(whole);
    expect(req.image.width * req.image.height).toBeLessThan(W * H);
  });

  it('sends the photo as it is when the fill reads all of it, and nothing for an empty mask', () => {
    const small = photo(64, 64);
    const req = buildFillRequest(small, maskWith(64, 64, [[10, 10, 5, 5]]), DEFAULT_SETTINGS, 64)!;
    expect(req.frame).toBeUndefined();
    expect(req.image).toBe(small);
    expect(buildFillRequest(small, maskWith(64, 64, []), DEFAULT_SETTINGS, 64)).toBeNull();
  });
});

describe('painted bounds (the part of the full-resolution mask that is drawn)', () => {
  it('covers strokes with their soft edge, rects and lassos; erasers add nothing; invert is everything', () => {
    const stroke = { kind: 'stroke' as const, erase: false, size: 10, hardness: 0.5, points: [100, 200, 150, 220] };
    const b = paintedBounds([stroke], 6000, 4000)!;
    // Half the brush is 5 px; the blur reaches further, and the box is whole pixels around it all.
    expect(b.x).toBeLessThanOrEqual(100 - 10);
    expect(b.y).toBeLessThanOrEqual(200 - 10);
    expect(b.x + b.w).toBeGreaterThanOrEqual(150 + 10);
    expect(b.w).toBeLessThan(100);
    const eraser = { ...stroke, erase: true, points: [3000, 3000, 5000, 3500] };
    expect(paintedBounds([stroke, eraser], 6000, 4000)).toEqual(b);
    expect(paintedBounds([eraser], 6000, 4000)).toBeNull();
    expect(paintedBounds([{ kind: 'rect', erase: false, x: 10, y: 20, w: 30, h: 40 }], 6000, 4000)).toEqual({ x: 8, y: 18, w: 34, h: 44 });
    expect(paintedBounds([{ kind: 'lasso', erase: false, points: [-50, -50, 20, 0, 0, 30] }], 6000, 4000)).toEqual({ x: 0, y: 0, w: 22, h: 32 });
    expect(paintedBounds([stroke, { kind: 'invert' }], 6000, 4000)).toEqual({ x: 0, y: 0, w: 6000, h: 4000 });
    expect(paintedBounds([], 6000, 4000)).toBeNull();
  });
});
