import type { ImageFormat, RgbaImage } from '../../electron/shared/contract';
import { blitRgba, downscale, putRgba, rgbaToCanvas } from '../lib/images';
import type { AppliedPatch } from '../lib/edits';

/** Long side of the copy drawn when zoomed out, so a 24 MP photo pans smoothly. */
const PREVIEW_SIDE = 2048;

/** The open photo: its pixels (the truth), a full-resolution canvas and a small preview canvas. */
export class DocumentState {
  name = $state('');
  /** Known on the desktop only; Ctrl+S writes back here. */
  path = $state<string | undefined>(undefined);
  image = $state.raw<RgbaImage | null>(null);
  canvas = $state.raw<HTMLCanvasElement | null>(null);
  preview = $state.raw<HTMLCanvasElement | null>(null);
  /** What Save offers for this photo: its own format where it is one the editor writes (lib/imageKind.ts). */
  saveFormat = $state<ImageFormat>('png');
  /** Bumped whenever pixels change, so views redraw. */
  version = $state(0);
  /** The file as opened: Save writes the edits into it (its depth, colour space and EXIF kept). */
  source = $state.raw<Uint8Array | null>(null);
  /** How `source` was decoded: the bits per channel it stores; in the page (8-bit sRGB) or by the engine. */
  opened = $state.raw<{ bits: number; inPage: boolean }>({ bits: 8, inPage: true });
  /** The smallest rectangle holding every pixel written since loading (applied, undone, redone); null: none. */
  private touched: { x0: number; y0: number; x1: number; y1: number } | null = null;

  loaded = $derived(this.image !== null);
  width = $derived(this.image?.width ?? 0);
  height = $derived(this.image?.height ?? 0);

  /**
   * `source`: the file `image` was decoded from; `edited`: `image` already differs from it (a restored
   * history), anywhere. `canvas`, when given, already holds `image`'s pixels (decoded in the page).
   */
  load(name: string, path: string | undefined, image: RgbaImage, source: Uint8Array, edited: boolean, canvas: HTMLCanvasElement = rgbaToCanvas(image)): void {
    this.name = name;
    this.path = path;
    this.image = image;
    this.source = source;
    this.touched = edited ? { x0: 0, y0: 0, x1: image.width, y1: image.height } : null;
    this.canvas = canvas;
    this.preview = downscale(canvas, PREVIEW_SIDE);
    this.version++;
  }

  /** Write patches' `after` (apply, redo) or `before` (undo) pixels into the image and canvases. */
  writePatches(patches: readonly AppliedPatch[], which: 'before' | 'after'): void {
    const img = this.image;
    const canvas = this.canvas;
    if (!img || !canvas) return;
    for (const p of patches) {
      const t = this.touched;
      this.touched = t
        ? { x0: Math.min(t.x0, p.x), y0: Math.min(t.y0, p.y), x1: Math.max(t.x1, p.x + p.width), y1: Math.max(t.y1, p.y + p.height) }
        : { x0: p.x, y0: p.y, x1: p.x + p.width, y1: p.y + p.height };
      const px = which === 'after' ? p.after : p.before;
      blitRgba(img, p.x, p.y, p.width, p.height, px);
      putRgba(canvas, { width: p.width, height: p.height, data: px }, p.x, p.y);
    }
    this.preview = downscale(canvas, PREVIEW_SIDE);
    this.version++;
  }

  /** Pixels were written since loading (results applied; undone too): the photo may differ from `source`. */
  get edited(): boolean {
    return this.touched !== null;
  }

  /** The pixels written since loading, with where they sit in the photo (clipped to it); null: none. */
  editedRegion(): { x: number; y: number; image: RgbaImage } | null {
    const img = this.image;
    const t = this.touched;
    if (!img || !t) return null;
    const x0 = Math.max(0, t.x0), y0 = Math.max(0, t.y0);
    const w = Math.min(img.width, t.x1) - x0, h = Math.min(img.height, t.y1) - y0;
    if (w <= 0 || h <= 0) return null;
    const data = new Uint8Array(w * h * 4);
    for (let r = 0; r < h; r++) data.set(img.data.subarray(((y0 + r) * img.width + x0) * 4, ((y0 + r) * img.width + x0 + w) * 4), r * w * 4);
    return { x: x0, y: y0, image: { width: w, height: h, data } };
  }

  /** The file name without its extension, for suggested save names. */
  baseName(): string {
    return (this.name || 'image').replace(/\.[^.]+$/, '');
  }
}
