import type { MaskImage } from '../../electron/shared/contract';
import type { MaskOp } from './maskOps';

type Ctx = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** Mask colour on screen; only the alpha channel matters for the engine. */
export const MASK_COLOR = 'rgb(40, 110, 255)';

function path(ctx: Ctx, pts: number[], s: number): void {
  ctx.beginPath();
  ctx.moveTo(pts[0]! * s, pts[1]! * s);
  // A single click still paints a dot: repeat the point.
  if (pts.length === 2) ctx.lineTo(pts[0]! * s + 0.01, pts[1]! * s);
  for (let i = 2; i < pts.length; i += 2) ctx.lineTo(pts[i]! * s, pts[i + 1]! * s);
}

/**
 * Draw one op onto a canvas whose pixels are the image scaled by `s`. Erasing uses `destination-out`;
 * invert uses `xor` with an opaque rectangle, which maps alpha a to 1 - a. `preview`: a wide soft edge is
 * blurred at a lower resolution (softStroke), for the screen only.
 */
export function drawOp(ctx: Ctx, op: MaskOp, s: number, w: number, h: number, preview = false): void {
  ctx.save();
  ctx.fillStyle = MASK_COLOR;
  ctx.strokeStyle = MASK_COLOR;
  switch (op.kind) {
    case 'clear':
      ctx.clearRect(0, 0, w, h);
      break;
    case 'invert':
      ctx.globalCompositeOperation = 'xor';
      ctx.fillRect(0, 0, w, h);
      break;
    case 'rect':
      ctx.globalCompositeOperation = op.erase ? 'destination-out' : 'source-over';
      ctx.fillRect(op.x * s, op.y * s, op.w * s, op.h * s);
      break;
    case 'lasso':
      if (op.points.length < 6) break;
      ctx.globalCompositeOperation = op.erase ? 'destination-out' : 'source-over';
      path(ctx, op.points, s);
      ctx.closePath();
      ctx.fill();
      break;
    case 'stroke': {
      if (op.points.length < 2) break;
      ctx.globalCompositeOperation = op.erase ? 'destination-out' : 'source-over';
      // Softness: a blur of up to half the radius, with the core shrunk so the outer edge stays put.
      const feather = (op.size / 2) * (1 - op.hardness) * s;
      const width = Math.max(0.5, op.size * s - feather);
      if (feather >= 0.5) softStroke(ctx, op.points, s, width, feather / 2, preview);
      else {
        strokeStyle(ctx, width);
        path(ctx, op.points, s);
        ctx.stroke();
      }
      break;
    }
  }
  ctx.restore();
}

function strokeStyle(ctx: Ctx, width: number): void {
  ctx.strokeStyle = MASK_COLOR;
  ctx.lineWidth = width;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
}

/**
 * Below this blur (pixels of sigma), a preview's soft stroke is blurred at full resolution; above it at
 * 1/k of it (k = sigma / PREVIEW_BLUR_PER_PIXEL, at most 8), then drawn up smoothly: a blur that wide
 * has no detail a lower resolution loses (a level or two of alpha at most), and the largest soft brush on
 * a 24 MP photo blurred a 2 MP canvas per stroke in software (50-100 ms), now a few hundredths of it.
 */
const PREVIEW_BLUR_PER_PIXEL = 3;

/**
 * A blurred stroke, blurred on a canvas just large enough for it (its points, half its width and three
 * sigma of blur) and then composited: a canvas filter on the mask itself blurs a layer as large as the
 * whole mask, which on a large photo cost about 70 ms per stroke (and a redraw of every stroke, seconds).
 */
function softStroke(ctx: Ctx, pts: number[], s: number, width: number, sigma: number, preview: boolean): void {
  const pad = width / 2 + 3 * sigma + 2;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i + 1 < pts.length; i += 2) {
    x0 = Math.min(x0, pts[i]! * s);
    x1 = Math.max(x1, pts[i]! * s);
    y0 = Math.min(y0, pts[i + 1]! * s);
    y1 = Math.max(y1, pts[i + 1]! * s);
  }
  // Only the part the target canvas shows (its transform is a translation: rasterizeMask's window).
  const m = ctx.getTransform();
  const vx0 = -m.e, vy0 = -m.f, vx1 = vx0 + ctx.canvas.width, vy1 = vy0 + ctx.canvas.height;
  const bx = Math.floor(Math.max(vx0, x0 - pad)), by = Math.floor(Math.max(vy0, y0 - pad));
  const bw = Math.ceil(Math.min(vx1, x1 + pad)) - bx, bh = Math.ceil(Math.min(vy1, y1 + pad)) - by;
  if (bw <= 0 || bh <= 0) return;
  const k = preview ? Math.min(8, Math.max(1, Math.floor(sigma / PREVIEW_BLUR_PER_PIXEL))) : 1;
  const sw = Math.ceil(bw / k), sh = Math.ceil(bh / k);
  const tmp = scratch(sw, sh);
  const t = tmp.getContext('2d') as OffscreenCanvasRenderingContext2D;
  t.clearRect(0, 0, sw, sh);
  t.save();
  t.scale(1 / k, 1 / k);
  t.translate(-bx, -by);
  strokeStyle(t, width);
  t.filter = `blur(${(sigma / k).toFixed(2)}px)`;
  path(t, pts, s);
  t.stroke();
  t.restore();
  ctx.drawImage(tmp, 0, 0, sw, sh, bx, by, sw * k, sh * k);
}

let scratchCanvas: OffscreenCanvas | HTMLCanvasElement | null = null;
/** Largest scratch canvas kept between strokes (16 MB); a larger one is made for its stroke only. */
const SCRATCH_KEPT = 2048;
const canvasOf = (w: number, h: number) => (typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(w, h) : Object.assign(document.createElement('canvas'), { width: w, height: h }));
/** A scratch canvas at least w x h, reused while it is not too large to keep. */
function scratch(w: number, h: number): OffscreenCanvas | HTMLCanvasElement {
  if (w > SCRATCH_KEPT || h > SCRATCH_KEPT) return canvasOf(w, h);
  if (!scratchCanvas || scratchCanvas.width < w || scratchCanvas.height < h) {
    scratchCanvas = canvasOf(Math.max(w, scratchCanvas?.width ?? 0), Math.max(h, scratchCanvas?.height ?? 0));
  }
  return scratchCanvas;
}

export function drawOps(ctx: Ctx, ops: readonly MaskOp[], s: number, w: number, h: number, preview = false): void {
  ctx.clearRect(0, 0, w, h);
  for (const op of ops) drawOp(ctx, op, s, w, h, preview);
}

function makeCanvas(w: number, h: number): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('2D canvas unavailable');
  return { canvas, ctx };
}

/** Pixels a painting op can reach beyond its geometry: half the brush plus the blur's tail. */
function reach(op: MaskOp): number {
  return op.kind === 'stroke' ? Math.ceil(op.size * 1.5) + 4 : 2;
}

/**
 * The part of a width x height image the ops can paint (erasers only take away), as whole pixels; null
 * when they paint nothing. An invert can paint anywhere.
 */
export function paintedBounds(ops: readonly MaskOp[], width: number, height: number): { x: number; y: number; w: number; h: number } | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const add = (xs: number[], ys: number[], pad: number) => {
    x0 = Math.min(x0, ...xs.map((v) => v - pad));
    y0 = Math.min(y0, ...ys.map((v) => v - pad));
    x1 = Math.max(x1, ...xs.map((v) => v + pad));
    y1 = Math.max(y1, ...ys.map((v) => v + pad));
  };
  for (const op of ops) {
    if (op.kind === 'invert') return { x: 0, y: 0, w: width, h: height };
    if (op.kind === 'clear' || op.erase) continue;
    if (op.kind === 'rect') add([op.x, op.x + op.w], [op.y, op.y + op.h], reach(op));
    else {
      // Strokes and lassos can be long: one pass over the points, not a spread of thousands.
      let ax = Infinity, ay = Infinity, bx = -Infinity, by = -Infinity;
      for (let i = 0; i + 1 < op.points.length; i += 2) {
        ax = Math.min(ax, op.points[i]!);
        bx = Math.max(bx, op.points[i]!);
        ay = Math.min(ay, op.points[i + 1]!);
        by = Math.max(by, op.points[i + 1]!);
      }
      if (ax <= bx) add([ax, bx], [ay, by], reach(op));
    }
  }
  const x = Math.max(0, Math.floor(x0)), y = Math.max(0, Math.floor(y0));
  const w = Math.min(width, Math.ceil(x1)) - x, h = Math.min(height, Math.ceil(y1)) - y;
  return w > 0 && h > 0 ? { x, y, w, h } : null;
}

/** Canvas drawn around the painted part: erasers and soft edges crossing its border then blur alike. */
const MARGIN = 128;

/**
 * Render the ops at full image resolution to the engine's one-byte-per-pixel mask (alpha). Only the part
 * the ops can paint is drawn, on a canvas shifted by whole pixels: a small mask on a 24 MP photo costs a
 * small canvas, not a 96 MB one (about 1 s). Chromium's blur is tiled, so soft edges can differ by a
 * level or two from a whole-photo canvas; hard edges are the same.
 */
export function rasterizeMask(ops: readonly MaskOp[], width: number, height: number): MaskImage {
  const data = new Uint8Array(width * height);
  const b = paintedBounds(ops, width, height);
  if (!b) return { width, height, data };
  const cx = Math.max(0, b.x - MARGIN), cy = Math.max(0, b.y - MARGIN);
  const cw = Math.min(width, b.x + b.w + MARGIN) - cx, ch = Math.min(height, b.y + b.h + MARGIN) - cy;
  const { ctx } = makeCanvas(cw, ch);
  ctx.translate(-cx, -cy);
  drawOps(ctx, ops, 1, width, height);
  const rgba = ctx.getImageData(b.x - cx, b.y - cy, b.w, b.h).data;
  for (let y = 0; y < b.h; y++) {
    const row = (b.y + y) * width + b.x;
    for (let x = 0, j = y * b.w * 4 + 3; x < b.w; x++, j += 4) data[row + x] = rgba[j]!;
  }
  return { width, height, data };
}

/** A preview-resolution mask canvas, redrawn from ops; long side at most `maxSide`. */
export class MaskCanvas {
  readonly canvas: HTMLCanvasElement;
  readonly scale: number;
  private ctx: CanvasRenderingContext2D;
  /** The ops on the canvas now (the history's op objects, compared by identity). */
  private drawn: readonly MaskOp[] = [];
  /** How often the canvas was redrawn from all ops, and how often only new ops were drawn onto it. */
  fullRedraws = 0;
  incremental = 0;
  constructor(imageW: number, imageH: number, maxSide = 3072) {
    this.scale = Math.min(1, maxSide / Math.max(imageW, imageH));
    const made = makeCanvas(Math.max(1, Math.round(imageW * this.scale)), Math.max(1, Math.round(imageH * this.scale)));
    this.canvas = made.canvas;
    this.ctx = made.ctx;
  }
  redraw(ops: readonly MaskOp[]): void {
    drawOps(this.ctx, ops, this.scale, this.canvas.width, this.canvas.height, true);
    this.drawn = ops;
    this.fullRedraws++;
  }
  /**
   * Brings the canvas to `ops`: when they are the ops drawn so far plus new ones (a stroke, a selection:
   * the usual commit), only the new ones are drawn, each within its own bounds; otherwise (undo, clear,
   * an applied result, another photo) everything is redrawn.
   */
  update(ops: readonly MaskOp[]): void {
    const d = this.drawn;
    if (ops.length >= d.length && d.every((op, i) => ops[i] === op)) {
      if (ops.length === d.length) return;
      for (let i = d.length; i < ops.length; i++) drawOp(this.ctx, ops[i]!, this.scale, this.canvas.width, this.canvas.height, true);
      this.drawn = ops;
      this.incremental++;
    } else this.redraw(ops);
  }
}
