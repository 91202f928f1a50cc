/**
 * The Cells overlay's computation off the page's thread: the preview mask is handed to a worker
 * (cellsWorker.ts) as an ImageBitmap, which reads it back at about 1 MP and plans the cells there; reading
 * and planning a 24 MP photo's mask took 40-200 ms of the page's thread after each stroke. Where the page
 * cannot start the worker (or it fails), the same is done in the page.
 */
import { latentCells, type AlphaMap, type CellTile } from './latent';

/** What the cells depend on besides the mask: the pack's grids and scale. */
export interface CellsPack {
  grids: number[];
  downsample: number;
  imageSize: number;
}

/** A request to the worker: the preview mask (`previewScale` times the photo's resolution). */
export interface CellsRequest {
  id: number;
  bitmap: ImageBitmap;
  previewScale: number;
  pack: CellsPack;
}
export type CellsReply = { id: number; cells: CellTile[] } | { id: number; error: string };

type Source = CanvasImageSource & { width: number; height: number };

/**
 * The mask at most `maxSide` pixels on its long side: a pixel is masked (255) when any of the mask under it
 * is (averaged alpha of 8 or more), as the engine counts a cell unknown when any masked pixel falls in it;
 * a mask that small already is its own alpha.
 */
export function coverage(source: Source, previewScale: number, maxSide = 1024): { alpha: AlphaMap; scale: number } {
  const k = Math.min(1, maxSide / Math.max(source.width, source.height));
  const width = Math.max(1, Math.round(source.width * k)), height = Math.max(1, Math.round(source.height * k));
  const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(width, height) : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
  if (!ctx) throw new Error('2D canvas unavailable');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, 0, 0, width, height);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  const whole = k === 1;
  for (let i = 0, j = 3; i < data.length; i++, j += 4) data[i] = whole ? rgba[j]! : rgba[j]! >= 8 ? 255 : 0;
  return { alpha: { width, height, data }, scale: (previewScale * width) / source.width };
}

export function cellsOf(source: Source, previewScale: number, pack: CellsPack): CellTile[] {
  const { alpha, scale } = coverage(source, previewScale);
  return latentCells(alpha, scale, pack.grids, pack.downsample, pack.imageSize);
}

/** Computes the overlay's cells, the latest request only: an answer to an earlier one resolves null. */
export class CellsComputer {
  /** undefined: not started yet; null: none (cannot start, or failed): computed in the page. */
  private worker: Worker | null | undefined;
  private latest = 0;
  private waiting = new Map<number, { resolve: (c: CellTile[] | null) => void; inPage: () => CellTile[] }>();
  /** Where the last cells were computed, for the page's tests ('worker' or 'page'). */
  lastWhere: 'worker' | 'page' | null = null;

  private start(): Worker | null {
    if (this.worker !== undefined) return this.worker;
    try {
      this.worker = new Worker(new URL('./cellsWorker.ts', import.meta.url), { type: 'module' });
      this.worker.onmessage = (e: MessageEvent<CellsReply>) => this.answer(e.data);
      this.worker.onerror = () => this.fail();
    } catch {
      this.worker = null;
    }
    return this.worker;
  }

  /** The worker is gone: what it was asked is computed in the page. */
  private fail(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const [id, w] of this.waiting) this.settle(id, w.inPage(), 'page');
  }

  private answer(r: CellsReply): void {
    const w = this.waiting.get(r.id);
    if (!w) return;
    if ('error' in r) this.settle(r.id, w.inPage(), 'page');
    else this.settle(r.id, r.cells, 'worker');
  }

  private settle(id: number, cells: CellTile[], where: 'worker' | 'page'): void {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    if (!w) return;
    if (id !== this.latest) return w.resolve(null);
    this.lastWhere = where;
    w.resolve(cells);
  }

  /** The cells of `canvas`, the preview mask at `previewScale`; null when a later call came first. */
  async compute(canvas: HTMLCanvasElement, previewScale: number, pack: CellsPack): Promise<CellTile[] | null> {
    const id = ++this.latest;
    const worker = this.start();
    const inPage = () => cellsOf(canvas, previewScale, pack);
    if (!worker) {
      this.lastWhere = 'page';
      return inPage();
    }
    // The bitmap is the mask as it is now (a copy), so later strokes do not change what the worker reads.
    const bitmap = await createImageBitmap(canvas);
    if (id !== this.latest) {
      bitmap.close();
      return null;
    }
    return new Promise((resolve) => {
      this.waiting.set(id, { resolve, inPage });
      const request: CellsRequest = { id, bitmap, previewScale, pack };
      worker.postMessage(request, [bitmap]);
    });
  }

  /** Answers still to come are dropped (the overlay was turned off, or the photo changed). */
  cancel(): void {
    this.latest++;
  }

  destroy(): void {
    this.cancel();
    this.worker?.terminate();
    this.worker = null;
  }
}
