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
 * invert uses `xor` with an opaque rectangle, which maps alpha a to 1 - a.
 */
export function drawOp(ctx: Ctx, op: MaskOp, s: number, w: number, h: number): void {
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
      ctx.lineWidth = Math.max(0.5, op.size * s - feather);
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      if (feather >= 0.5) ctx.filter = `blur(${(feather / 2).toFixed(2)}px)`;
      path(ctx, op.points, s);
      ctx.stroke();
      break;
    }
  }
  ctx.restore();
}

export function drawOps(ctx: Ctx, ops: readonly MaskOp[], s: number, w: number, h: number): void {
  ctx.clearRect(0, 0, w, h);
  for (const op of ops) drawOp(ctx, op, s, w, h);
}

function makeCanvas(w: number, h: number): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('2D canvas unavailable');
  return { canvas, ctx };
}

/** Render the ops at full image resolution to the engine's one-byte-per-pixel mask (alpha). */
export function rasterizeMask(ops: readonly MaskOp[], width: number, height: number): MaskImage {
  const { ctx } = makeCanvas(width, height);
  drawOps(ctx, ops, 1, width, height);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  for (let i = 0, j = 3; i < data.length; i++, j += 4) data[i] = rgba[j]!;
  return { width, height, data };
}

/** A preview-resolution mask canvas, redrawn from ops; long side at most `maxSide`. */
export class MaskCanvas {
  readonly canvas: HTMLCanvasElement;
  readonly scale: number;
  private ctx: CanvasRenderingContext2D;
  constructor(imageW: number, imageH: number, maxSide = 3072) {
    this.scale = Math.min(1, maxSide / Math.max(imageW, imageH));
    const made = makeCanvas(Math.max(1, Math.round(imageW * this.scale)), Math.max(1, Math.round(imageH * this.scale)));
    this.canvas = made.canvas;
    this.ctx = made.ctx;
  }
  redraw(ops: readonly MaskOp[]): void {
    drawOps(this.ctx, ops, this.scale, this.canvas.width, this.canvas.height);
  }
  /** Alpha channel at preview resolution, for the latent-cell overlay. */
  alpha(): { width: number; height: number; data: Uint8Array } {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const data = new Uint8Array(width * height);
    for (let i = 0, j = 3; i < data.length; i++, j += 4) data[i] = rgba[j]!;
    return { width, height, data };
  }
}
