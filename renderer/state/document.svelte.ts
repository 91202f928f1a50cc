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

  loaded = $derived(this.image !== null);
  width = $derived(this.image?.width ?? 0);
  height = $derived(this.image?.height ?? 0);

  /** `canvas`, when given, already holds `image`'s pixels (decoded in the page). */
  load(name: string, path: string | undefined, image: RgbaImage, canvas: HTMLCanvasElement = rgbaToCanvas(image)): void {
    this.name = name;
    this.path = path;
    this.image = image;
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
      const px = which === 'after' ? p.after : p.before;
      blitRgba(img, p.x, p.y, p.width, p.height, px);
      putRgba(canvas, { width: p.width, height: p.height, data: px }, p.x, p.y);
    }
    this.preview = downscale(canvas, PREVIEW_SIDE);
    this.version++;
  }

  /** The file name without its extension, for suggested save names. */
  baseName(): string {
    return (this.name || 'image').replace(/\.[^.]+$/, '');
  }
}
