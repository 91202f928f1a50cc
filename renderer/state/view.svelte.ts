/** Zoom and pan shared by the editor and every compare panel, so they stay in step. */
export const MIN_ZOOM = 0.02;
export const MAX_ZOOM = 32;

export class ViewState {
  /** Screen pixels per image pixel. */
  zoom = $state(1);
  /** Screen position of the image's top-left corner. */
  x = $state(0);
  y = $state(0);
  /** Size of the editor viewport in screen pixels (set by the canvas). */
  viewW = $state(800);
  viewH = $state(600);

  /** Zoom by `factor` keeping the image point under (cx, cy) in place. */
  zoomAt(factor: number, cx: number, cy: number): void {
    const z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.zoom * factor));
    const k = z / this.zoom;
    this.x = cx - (cx - this.x) * k;
    this.y = cy - (cy - this.y) * k;
    this.zoom = z;
  }

  panBy(dx: number, dy: number): void {
    this.x += dx;
    this.y += dy;
  }

  /** Whole image in view and centred; small images are enlarged, at most `maxZoom` times. */
  fit(imageW: number, imageH: number, viewW: number, viewH: number, pad = 16, maxZoom = 4): void {
    if (imageW <= 0 || imageH <= 0 || viewW <= 0 || viewH <= 0) return;
    const z = Math.min(maxZoom, (viewW - 2 * pad) / imageW, (viewH - 2 * pad) / imageH);
    this.zoom = Math.max(MIN_ZOOM, z);
    this.x = (viewW - imageW * this.zoom) / 2;
    this.y = (viewH - imageH * this.zoom) / 2;
  }

  /** The rectangle (image pixels) in view and centred, enlarged at most `maxZoom` times. */
  fitRect(x: number, y: number, w: number, h: number, viewW: number, viewH: number, pad = 16, maxZoom = 4): void {
    if (w <= 0 || h <= 0 || viewW <= 0 || viewH <= 0) return;
    const z = Math.max(MIN_ZOOM, Math.min(maxZoom, (viewW - 2 * pad) / w, (viewH - 2 * pad) / h));
    this.zoom = z;
    this.x = viewW / 2 - (x + w / 2) * z;
    this.y = viewH / 2 - (y + h / 2) * z;
  }

  /** 100%, keeping the view's centre on the same image point. */
  actualSize(viewW: number, viewH: number): void {
    this.zoomAt(1 / this.zoom, viewW / 2, viewH / 2);
  }

  /** Screen to image coordinates. */
  toImage(sx: number, sy: number): { x: number; y: number } {
    return { x: (sx - this.x) / this.zoom, y: (sy - this.y) / this.zoom };
  }
}
