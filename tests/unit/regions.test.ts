import { describe, expect, it } from 'vitest';
import { chooseGrid, componentBoxes, fillWindow, planRegions, tileClaims, tilesFor, type Box } from '../../electron/shared/regions.js';
import { planTiles } from '../../electron/engine/pipeline.js';
import { compositeTile, pasteWeights } from '../../electron/engine/image/composite.js';

function maskWith(width: number, height: number, rects: [number, number, number, number][]) {
  const data = new Uint8Array(width * height);
  for (const [x, y, w, h] of rects) for (let r = y; r < y + h; r++) data.fill(255, r * width + x, r * width + x + w);
  return { width, height, data };
}

describe('crop planning', () => {
  it('finds connected components with tight boxes', () => {
    const boxes = componentBoxes(maskWith(100, 80, [[10, 10, 5, 5], [60, 40, 20, 10]]));
    expect(boxes).toEqual([{ x0: 10, y0: 10, x1: 15, y1: 15 }, { x0: 60, y0: 40, x1: 80, y1: 50 }]);
  });

  it('makes square crops with context, shifted inward at the border', () => {
    const [tile] = tilesFor({ x0: 0, y0: 0, x1: 40, y1: 20 }, { x0: 0, y0: 0, x1: 300, y1: 200 }, { context: 2, minSize: 64 });
    expect(tile).toEqual({ x: 0, y: 0, size: 80 });
    const [small] = tilesFor({ x0: 100, y0: 100, x1: 104, y1: 104 }, { x0: 0, y0: 0, x1: 300, y1: 200 }, { context: 2, minSize: 64 });
    expect(small.size).toBe(64);
    expect(small.x).toBeLessThanOrEqual(100);
    expect(small.x + 64).toBeGreaterThanOrEqual(104);
  });

  it('merges regions whose crops overlap and keeps distant ones apart', () => {
    expect(planRegions(maskWith(400, 400, [[100, 100, 10, 10], [130, 100, 10, 10]]))).toHaveLength(1);
    expect(planRegions(maskWith(400, 400, [[10, 10, 10, 10], [300, 300, 10, 10]]))).toHaveLength(2);
  });

  it('tiles a region longer than the short side, covering every masked pixel, overlaps filled again by the next tile', () => {
    const mask = maskWith(400, 100, [[0, 40, 400, 20]]);
    const regions = planRegions(mask);
    expect(regions[0].tiles.length).toBeGreaterThan(1);
    for (const t of regions[0].tiles) expect(t.size).toBe(100);
    const tiles = planTiles(mask, regions, 4, [16]);
    const times = new Uint8Array(400 * 100);
    for (const { tile, mask: m } of tiles) for (let y = 0; y < tile.size; y++) for (let x = 0; x < tile.size; x++) if (m[y * tile.size + x]) times[(tile.y + y) * 400 + tile.x + x]++;
    // exactly the masked pixels, each at least once; where crops overlap beyond a claim, twice
    expect([...times].every((n, i) => (n > 0) === (mask.data[i] >= 128))).toBe(true);
    expect(times.reduce((a, n) => a + n, 0)).toBeGreaterThan(400 * 20);
    // each tile regenerates only what no earlier claim filled: the claims' pixels are never sampled again
    const claims = tileClaims(regions[0]);
    tiles.forEach(({ tile, mask: m }, k) => {
      for (const c of claims.slice(0, k)) for (let y = c.y0; y < c.y1; y++) for (let x = Math.max(c.x0, tile.x); x < Math.min(c.x1, tile.x + tile.size); x++) {
        if (y >= tile.y && y < tile.y + tile.size) expect(m[(y - tile.y) * tile.size + x - tile.x]).toBe(0);
      }
    });
  });

  it('splits a long region between its tiles at the middle of each overlap, away from every crop edge (issue 10 item 9)', () => {
    const area = (b: Box) => (b.x1 - b.x0) * (b.y1 - b.y0);
    for (const [W, H] of [[256, 192], [512, 192], [192, 700]]) {
      // a whole-photo mask: one region, tiles of the short side overlapping by half or more
      const [region] = planRegions(maskWith(W, H, [[0, 0, W, H]]), { context: 2, minSize: 64 });
      const claims = tileClaims(region);
      expect(claims).toHaveLength(region.tiles.length);
      expect(claims.reduce((n, c) => n + area(c), 0)).toBe(W * H); // a partition of the box
      const alongX = W > H;
      claims.forEach((c, k) => {
        const t = region.tiles[k];
        // inside its own crop...
        expect(c.x0 >= t.x && c.x1 <= t.x + t.size && c.y0 >= t.y && c.y1 <= t.y + t.size).toBe(true);
        // ...and where it meets the next claim, a quarter tile or more from both crops' edges: the seam
        // between two tiles' fills no longer lies on the earlier tile's edge
        if (k + 1 < claims.length) {
          const cut = alongX ? c.x1 : c.y1;
          const next = region.tiles[k + 1];
          expect(alongX ? claims[k + 1].x0 : claims[k + 1].y0).toBe(cut);
          expect((alongX ? t.x : t.y) + t.size - cut).toBeGreaterThanOrEqual(t.size / 4);
          expect(cut - (alongX ? next.x : next.y)).toBeGreaterThanOrEqual(t.size / 4);
        }
      });
    }
    // 256 x 192: crops at x 0 and 64 (192 px); the fill changes hands at x 128, not at the first crop's edge (192)
    const [r] = planRegions(maskWith(256, 192, [[0, 0, 256, 192]]), { context: 2, minSize: 64 });
    expect(tileClaims(r)).toEqual([{ x0: 0, y0: 0, x1: 128, y1: 192 }, { x0: 128, y0: 0, x1: 256, y1: 192 }]);
    // one tile claims its whole region
    const [small] = planRegions(maskWith(400, 400, [[100, 100, 10, 10]]), { context: 2, minSize: 64 });
    expect(tileClaims(small)).toEqual([small.box]);
  });

  it('a window of the mask plans the same crops as the whole photo', () => {
    const W = 3000;
    const H = 2000;
    const mask = maskWith(W, H, [[1200, 800, 40, 30], [1290, 805, 10, 60], [2900, 1950, 80, 40], [10, 1000, 5, 5]]);
    const whole = planRegions(mask, { context: 2, minSize: 64 });
    const win = fillWindow(mask, { context: 2, minSize: 64 })!;
    const w = win.x1 - win.x0;
    const h = win.y1 - win.y0;
    const data = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) data.set(mask.data.subarray((win.y0 + y) * W + win.x0, (win.y0 + y) * W + win.x0 + w), y * w);
    const part = planRegions({ width: w, height: h, data }, { context: 2, minSize: 64 }, { x0: -win.x0, y0: -win.y0, x1: W - win.x0, y1: H - win.y0 });
    const shift = (r: typeof whole) => r.map((g) => ({ box: g.box, tiles: g.tiles.map((t) => ({ ...t })) }));
    expect(shift(part).map((g) => ({ box: { x0: g.box.x0 + win.x0, y0: g.box.y0 + win.y0, x1: g.box.x1 + win.x0, y1: g.box.y1 + win.y0 }, tiles: g.tiles.map((t) => ({ x: t.x + win.x0, y: t.y + win.y0, size: t.size })) }))).toEqual(whole);
  });

  it('chooses the grid nearest the crop resolution', () => {
    expect(chooseGrid(64, 4, [16, 32])).toBe(16);
    expect(chooseGrid(100, 4, [16, 32])).toBe(32);
    expect(chooseGrid(2000, 4, [16, 32])).toBe(32);
    expect(chooseGrid(2000, 4, [16])).toBe(16);
  });

  it('marks a latent cell unknown when any masked pixel falls in it', () => {
    const mask = maskWith(64, 64, [[0, 0, 1, 1], [63, 63, 1, 1]]);
    const [tile] = planTiles(mask, planRegions(mask), 4, [16]);
    expect(tile.unknown[0]).toBe(1);
    expect(tile.unknown[255]).toBe(1);
    expect(tile.unknown.reduce((a, v) => a + v, 0)).toBe(2);
  });
});

describe('compositing', () => {
  it("pastes a tile's fill whole up to the mask's edge, and feathers only into an earlier tile's fill", () => {
    const size = 20;
    const fills = new Uint8Array(size * size);
    for (let y = 5; y < 15; y++) for (let x = 5; x < 15; x++) fills[y * size + x] = 1;
    // alone: every pixel it fills at full weight, the ones beside the known pixels too
    const none = new Uint8Array(size * size);
    const alone = pasteWeights(fills, none, none, size, 2);
    expect(alone[0]).toBe(0);
    expect(alone[5 * size + 5]).toBe(1);
    expect(alone[10 * size + 10]).toBe(1);
    // an earlier tile claimed the columns left of x = 5 and pasted its fill over this one's pixels too: the
    // paste fades in from the cut over radius + 1 px
    const earlier = new Uint8Array(size * size);
    for (let y = 5; y < 15; y++) for (let x = 0; x < 5; x++) earlier[y * size + x] = 1;
    const after = pasteWeights(fills, fills, earlier, size, 2);
    expect(after[10 * size + 5]).toBeCloseTo(1 / 3, 5);
    expect(after[10 * size + 6]).toBeCloseTo(2 / 3, 5);
    expect(after[10 * size + 8]).toBe(1);
    expect(after[10 * size + 14]).toBe(1);
    // where the earlier tile did not paste (tiles that only touch), the target still holds the photo: whole
    const touching = pasteWeights(fills, none, earlier, size, 2);
    expect(touching[10 * size + 5]).toBe(1);
  });

  it('changes only masked pixels and never alpha', () => {
    const size = 8;
    const target = { width: size, height: size, data: new Uint8Array(size * size * 4).fill(100) };
    const weights = new Float32Array(size * size);
    weights[9] = 1;
    weights[10] = 0.5;
    compositeTile(target, 0, 0, size, new Uint8Array(size * size * 3).fill(200), weights);
    expect(Array.from(target.data.subarray(36, 44))).toEqual([200, 200, 200, 100, 150, 150, 150, 100]);
    expect(target.data.filter((v, i) => i < 36 && v !== 100).length).toBe(0);
  });

  it('composites 16-bit targets at their own depth', () => {
    const target = { width: 1, height: 1, data: new Uint16Array([1000, 1000, 1000, 65535]) };
    compositeTile(target, 0, 0, 1, new Uint8Array([255, 0, 255]), new Float32Array([1]));
    expect(Array.from(target.data)).toEqual([65535, 0, 65535, 65535]);
  });
});

describe('blending a fill into its tile (at the photo\'s scale)', () => {
  /** A size x size tile of one colour (8-bit RGBA), a 6 x 6 hole in it, and a fill of another colour. */
  function tile(size: number, colour: number, fillColour: number) {
    const crop = { width: size, height: size, data: new Uint8Array(size * size * 4).fill(colour) };
    const mask = new Uint8Array(size * size);
    for (let y = 5; y < 11; y++) for (let x = 5; x < 11; x++) mask[y * size + x] = 1;
    return { crop, mask, fill: new Uint8Array(size * size * 3).fill(fillColour) };
  }

  it('removes the fill\'s colour offset from the pixels round the hole and keeps its own texture', async () => {
    const { blendIntoTile } = await import('../../electron/engine/image/blend.js');
    const size = 16;
    const { crop, mask, fill } = tile(size, 100, 60); // the decode came out 40 levels too dark
    for (let i = 0; i < size * size; i++) if (mask[i]) fill[i * 3] += (i % 2) * 20; // and with a texture of its own
    blendIntoTile(fill, crop, mask, size);
    for (let i = 0; i < size * size; i++) {
      if (!mask[i]) expect(fill[i * 3 + 1]).toBe(60); // outside the hole nothing is touched (it is never pasted)
      else {
        expect(fill[i * 3]).toBe(100 + (i % 2) * 20);
        expect(fill[i * 3 + 2]).toBe(100);
      }
    }
  });

  it('interpolates the error harmonically: a ramp round the hole continues straight through it', async () => {
    const { blendIntoTile } = await import('../../electron/engine/image/blend.js');
    const size = 16;
    const { crop, mask, fill } = tile(size, 0, 0);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) crop.data.fill(10 * x, (y * size + x) * 4, (y * size + x) * 4 + 3);
    blendIntoTile(fill, crop, mask, size);
    for (const x of [5, 7, 10]) expect(Math.abs(fill[(8 * size + x) * 3] - 10 * x)).toBeLessThanOrEqual(1);
  });

  it('reads a 16-bit tile at its own depth and leaves a fill without a hole as it is', async () => {
    const { blendIntoTile } = await import('../../electron/engine/image/blend.js');
    const size = 16;
    const { mask, fill } = tile(size, 0, 60);
    const deep = { width: size, height: size, data: new Uint16Array(size * size * 4).fill(100 * 257) };
    blendIntoTile(fill, deep, mask, size);
    expect(fill[(8 * size + 8) * 3]).toBe(100);
    const untouched = new Uint8Array(size * size * 3).fill(60);
    blendIntoTile(untouched, deep, new Uint8Array(size * size), size);
    expect(untouched.every((v) => v === 60)).toBe(true);
  });
});
