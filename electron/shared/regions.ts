/**
 * The crop strategy for a fixed-size model on a photo of any size (docs/ARCHITECTURE.md, "A fill, step by step"): the mask's
 * connected regions, each covered by square crops with context around it, shifted inward at the borders,
 * merged when their crops would overlap, and tiled along the long side when a region is wider than the
 * photo's short side. Pure and deterministic.
 */
import type { MaskImage } from './contract.js';

export interface Box {
  x0: number;
  y0: number;
  /** Exclusive. */
  x1: number;
  y1: number;
}

/** A square crop of side `size` at (x, y). */
export interface Tile {
  x: number;
  y: number;
  size: number;
}

export interface Region {
  /** Bounding box of the region's masked pixels. */
  box: Box;
  /** Square crops filled in order; each covers masked pixels earlier tiles left. */
  tiles: Tile[];
}

/** The area a region's crops cover together (the union's bounding box of its tiles). */
export function regionArea(region: Region): Box {
  const { tiles } = region;
  return {
    x0: Math.min(...tiles.map((t) => t.x)),
    y0: Math.min(...tiles.map((t) => t.y)),
    x1: Math.max(...tiles.map((t) => t.x + t.size)),
    y1: Math.max(...tiles.map((t) => t.y + t.size)),
  };
}

export interface CropOptions {
  /** Crop side = longest bbox side * context, so the mask has context on every side. */
  context: number;
  /** Smallest crop side in pixels (the pack's image size: smaller crops would be upscaled). */
  minSize: number;
}

export const DEFAULT_CROP: CropOptions = { context: 2, minSize: 64 };

/** The crop options the engine uses for a pack whose models take `imageSize` pixels. */
export function cropOptionsFor(imageSize: number): CropOptions {
  return { context: 2, minSize: imageSize };
}

/** The whole photo's extent in the mask's coordinates: the mask may be a window of a larger photo. */
export function wholeMask(mask: { width: number; height: number }): Box {
  return { x0: 0, y0: 0, x1: mask.width, y1: mask.height };
}

/** The supported grid whose resolution is nearest the crop's own (no blurred upscale on large photos). */
export function chooseGrid(size: number, downsample: number, grids: number[]): number {
  let best = grids[0];
  for (const g of grids) if (Math.abs(Math.log(size / (g * downsample))) < Math.abs(Math.log(size / (best * downsample)))) best = g;
  return best;
}

/** Square tiles covering box, inside the photo's `bounds`. */
export function tilesFor(box: Box, bounds: Box, opts: CropOptions): Tile[] {
  const maxSide = Math.min(bounds.x1 - bounds.x0, bounds.y1 - bounds.y0);
  const bw = box.x1 - box.x0;
  const bh = box.y1 - box.y0;
  const long = Math.max(bw, bh);
  if (long <= maxSide) {
    const size = Math.min(maxSide, Math.max(Math.ceil(long * opts.context), opts.minSize, long));
    return [centred(box, size, bounds)];
  }
  // Wider than the short side: squares of the short side along the long axis, overlapping by half.
  const size = maxSide;
  const alongX = bw > bh;
  const start = alongX ? box.x0 : box.y0;
  const end = alongX ? box.x1 : box.y1;
  const tiles: Tile[] = [];
  for (let a = start; ; a += size >> 1) {
    const sub: Box = alongX ? { x0: a, y0: box.y0, x1: Math.min(a + size, end), y1: box.y1 } : { x0: box.x0, y0: a, x1: box.x1, y1: Math.min(a + size, end) };
    tiles.push(centred(sub, size, bounds));
    if (a + size >= end) break;
  }
  return tiles;
}

/**
 * The part of a region's box each of its tiles is to fill (a region longer than the photo's short side
 * has several). Consecutive tiles overlap, by half a tile or more; each overlap is split at its middle, so
 * the boundary between two tiles' fills lies a quarter tile or more inside both crops, instead of at the
 * earlier tile's own edge, where its fill had no context beyond the crop (with a whole-photo mask the
 * fill fades there, and a hard vertical seam showed where the next tile's fill began). Every pixel of the
 * box is in exactly one claim; a single tile claims the whole box.
 *
 * For the engine's tile planner: a tile samples every masked pixel of its crop not filled yet, but pastes
 * (and marks filled) only those inside its claim, cross-fading from the earlier tile's fill over a band
 * just before the claim starts.
 */
export function tileClaims(region: Region): Box[] {
  const { box, tiles } = region;
  if (tiles.length <= 1) return [{ ...box }];
  const alongX = tiles.some((t) => t.x !== tiles[0].x);
  const lo = alongX ? box.x0 : box.y0;
  const hi = alongX ? box.x1 : box.y1;
  const cuts: number[] = [];
  for (let k = 0; k + 1 < tiles.length; k++) {
    const a = tiles[k];
    const b = tiles[k + 1];
    const aEnd = (alongX ? a.x : a.y) + a.size;
    const bStart = alongX ? b.x : b.y;
    // the middle of the overlap; tiles that only touch are cut where they meet
    const cut = bStart < aEnd ? Math.round((bStart + aEnd) / 2) : bStart;
    cuts.push(Math.min(hi, Math.max(lo, cuts[k - 1] ?? lo, cut)));
  }
  return tiles.map((_, k) => {
    const from = k === 0 ? lo : cuts[k - 1];
    const to = k === cuts.length ? hi : cuts[k];
    return alongX ? { x0: from, y0: box.y0, x1: to, y1: box.y1 } : { x0: box.x0, y0: from, x1: box.x1, y1: to };
  });
}

function centred(box: Box, size: number, bounds: Box): Tile {
  const cx = (box.x0 + box.x1) / 2;
  const cy = (box.y0 + box.y1) / 2;
  const x = Math.min(Math.max(Math.round(cx - size / 2), bounds.x0), bounds.x1 - size);
  const y = Math.min(Math.max(Math.round(cy - size / 2), bounds.y0), bounds.y1 - size);
  return { x, y, size };
}

function overlaps(a: Tile, b: Tile): boolean {
  return a.x < b.x + b.size && b.x < a.x + a.size && a.y < b.y + b.size && b.y < a.y + a.size;
}

function union(a: Box, b: Box): Box {
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
}

/**
 * Bounding boxes of the mask's 8-connected components, found on a grid of blocks (at most ~1024 per side
 * of the photo) so a 24 MP mask costs one pass; boxes are then tightened to the exact masked pixels. Blocks
 * are aligned to the photo (`bounds`), so a window of the mask gives the same components as the whole.
 */
export function componentBoxes(mask: MaskImage, bounds: Box = wholeMask(mask)): Box[] {
  const { width, height } = mask;
  const block = Math.max(1, Math.ceil(Math.max(bounds.x1 - bounds.x0, bounds.y1 - bounds.y0) / 1024));
  // Block (i, j) of this window is block (i + bi0, j + bj0) of the photo.
  const bi0 = Math.floor(-bounds.x0 / block);
  const bj0 = Math.floor(-bounds.y0 / block);
  const blockX = (x: number) => Math.floor((x - bounds.x0) / block) - bi0;
  const blockY = (y: number) => Math.floor((y - bounds.y0) / block) - bj0;
  const bw = blockX(width - 1) + 1;
  const bh = blockY(height - 1) + 1;
  const occupied = new Uint8Array(bw * bh);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const brow = blockY(y) * bw;
    for (let x = 0; x < width; x++) if (mask.data[row + x] >= 128) occupied[brow + blockX(x)] = 1;
  }
  const pixelX = (b: number) => Math.min(width, Math.max(0, (b + bi0) * block + bounds.x0));
  const pixelY = (b: number) => Math.min(height, Math.max(0, (b + bj0) * block + bounds.y0));
  const label = new Int32Array(bw * bh).fill(-1);
  const boxes: Box[] = [];
  const stack: number[] = [];
  for (let start = 0; start < occupied.length; start++) {
    if (!occupied[start] || label[start] >= 0) continue;
    const id = boxes.length;
    const b: Box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    label[start] = id;
    stack.push(start);
    while (stack.length > 0) {
      const cur = stack.pop() as number;
      const cx = cur % bw;
      const cy = (cur - cx) / bw;
      b.x0 = Math.min(b.x0, cx);
      b.y0 = Math.min(b.y0, cy);
      b.x1 = Math.max(b.x1, cx + 1);
      b.y1 = Math.max(b.y1, cy + 1);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = cx + dx;
          const ny = cy + dy;
          if (nx < 0 || ny < 0 || nx >= bw || ny >= bh) continue;
          const n = ny * bw + nx;
          if (occupied[n] && label[n] < 0) {
            label[n] = id;
            stack.push(n);
          }
        }
      }
    }
    boxes.push(tightBox(mask, { x0: pixelX(b.x0), y0: pixelY(b.y0), x1: pixelX(b.x1), y1: pixelY(b.y1) }));
  }
  return boxes;
}

function tightBox(mask: MaskImage, box: Box): Box {
  const t: Box = { x0: box.x1, y0: box.y1, x1: box.x0, y1: box.y0 };
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      if (mask.data[y * mask.width + x] >= 128) {
        if (x < t.x0) t.x0 = x;
        if (x + 1 > t.x1) t.x1 = x + 1;
        if (y < t.y0) t.y0 = y;
        if (y + 1 > t.y1) t.y1 = y + 1;
      }
    }
  }
  return t;
}

/**
 * Regions to fill, with their tiles; regions whose tiles would overlap are merged until none do.
 * `bounds` is the photo's extent in mask coordinates when the mask is a window of it (see `fillWindow`).
 */
export function planRegions(mask: MaskImage, opts: CropOptions = DEFAULT_CROP, bounds: Box = wholeMask(mask)): Region[] {
  let regions: Region[] = componentBoxes(mask, bounds).map((box) => ({ box, tiles: tilesFor(box, bounds, opts) }));
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let i = 0; i < regions.length; i++) {
      for (let j = i + 1; j < regions.length; j++) {
        if (regions[i].tiles.some((a) => regions[j].tiles.some((b) => overlaps(a, b)))) {
          const box = union(regions[i].box, regions[j].box);
          regions[i] = { box, tiles: tilesFor(box, bounds, opts) };
          regions.splice(j, 1);
          merged = true;
          break outer;
        }
      }
    }
  }
  return regions.sort((a, b) => a.box.y0 - b.box.y0 || a.box.x0 - b.box.x0);
}

/**
 * The smallest rectangle of the photo that holds every crop a fill of this mask will read: a client may
 * send just this window (with `FillRequest.frame`) instead of the whole photo and get the same fill.
 */
export function fillWindow(mask: MaskImage, opts: CropOptions): Box | null {
  const tiles = planRegions(mask, opts).flatMap((r) => r.tiles);
  if (tiles.length === 0) return null;
  return {
    x0: Math.min(...tiles.map((t) => t.x)),
    y0: Math.min(...tiles.map((t) => t.y)),
    x1: Math.max(...tiles.map((t) => t.x + t.size)),
    y1: Math.max(...tiles.map((t) => t.y + t.size)),
  };
}
