/**
 * Which latent cells a fill will regenerate, approximately. The engine crops a square around the mask
 * with a margin, resizes it to grid * downsample pixels and marks a cell unknown when any masked pixel
 * falls in it. The exact crop is the engine's; this reproduces its shape for the overlay only.
 */
export interface CellOverlay {
  /** The crop square in image pixels. */
  x: number;
  y: number;
  side: number;
  grid: number;
  /** grid*grid flags, row-major: 1 = regenerated. */
  cells: Uint8Array;
}

export interface AlphaMap {
  width: number;
  height: number;
  data: Uint8Array;
}

/** `alpha` is the mask at `scale` times image resolution. */
export function latentCells(alpha: AlphaMap, scale: number, imageW: number, imageH: number, grid: number, downsample: number): CellOverlay | null {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = 0; y < alpha.height; y++) {
    const row = y * alpha.width;
    for (let x = 0; x < alpha.width; x++) {
      if (alpha.data[row + x]! >= 128) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const bx0 = x0 / scale, by0 = y0 / scale, bx1 = (x1 + 1) / scale, by1 = (y1 + 1) / scale;
  const bw = bx1 - bx0, bh = by1 - by0;
  const limit = Math.min(imageW, imageH);
  // Margin of half the region, at least the model's native size, never past the image.
  const side = Math.min(limit, Math.max(Math.max(bw, bh) * 1.5, grid * downsample));
  const cx = (bx0 + bx1) / 2, cy = (by0 + by1) / 2;
  const x = Math.round(Math.min(imageW - side, Math.max(0, cx - side / 2)));
  const y = Math.round(Math.min(imageH - side, Math.max(0, cy - side / 2)));
  const cells = new Uint8Array(grid * grid);
  const cell = side / grid;
  for (let ay = y0; ay <= y1; ay++) {
    const row = ay * alpha.width;
    for (let ax = x0; ax <= x1; ax++) {
      if (alpha.data[row + ax]! < 128) continue;
      const gx = Math.floor(((ax + 0.5) / scale - x) / cell);
      const gy = Math.floor(((ay + 0.5) / scale - y) / cell);
      if (gx >= 0 && gy >= 0 && gx < grid && gy < grid) cells[gy * grid + gx] = 1;
    }
  }
  return { x, y, side, grid, cells };
}
