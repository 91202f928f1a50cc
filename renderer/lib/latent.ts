/**
 * Which latent cells a fill will regenerate. Uses the engine's own crop planner (pure code) on the
 * preview-resolution mask, so the overlay shows the same square crops the engine will fill; the grid per
 * crop is the pack grid nearest the crop's size, and a cell is regenerated when any masked pixel is in it.
 * Being computed at preview resolution, cell edges can be off by a pixel or two on very large photos.
 */
import { chooseGrid, planRegions } from '../../electron/shared/regions';

export interface CellTile {
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
export function latentCells(alpha: AlphaMap, scale: number, grids: number[], downsample: number, imageSize: number): CellTile[] {
  const regions = planRegions(alpha, { context: 2, minSize: Math.max(1, Math.round(imageSize * scale)) });
  const out: CellTile[] = [];
  for (const region of regions) {
    for (const t of region.tiles) {
      const side = t.size / scale;
      const grid = chooseGrid(side, downsample, grids.length ? grids : [16]);
      const cells = new Uint8Array(grid * grid);
      const cell = t.size / grid;
      // Each column's cell once, not a division per pixel (a large photo's tile is a million pixels).
      const x1 = Math.min(t.x + t.size, alpha.width);
      const column = new Int32Array(Math.max(0, x1 - t.x));
      for (let i = 0; i < column.length; i++) column[i] = Math.min(grid - 1, Math.floor(i / cell));
      for (let y = t.y; y < t.y + t.size && y < alpha.height; y++) {
        const row = y * alpha.width + t.x;
        const base = Math.min(grid - 1, Math.floor((y - t.y) / cell)) * grid;
        for (let i = 0; i < column.length; i++) if (alpha.data[row + i]! >= 128) cells[base + column[i]!] = 1;
      }
      out.push({ x: t.x / scale, y: t.y / scale, side, grid, cells });
    }
  }
  return out;
}
