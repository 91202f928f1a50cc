import Konva from 'konva';
import type { AppState } from '../state/app.svelte';
import { CellsComputer } from './cells';
import type { CellTile } from './latent';
import type { MaskOp } from './maskOps';
import { MASK_COLOR, MaskCanvas } from './maskRender';

type Drag =
  | { kind: 'pan'; lastX: number; lastY: number }
  | { kind: 'stroke'; erase: boolean; line: Konva.Line }
  | { kind: 'rect'; erase: boolean; x0: number; y0: number; rect: Konva.Rect }
  | { kind: 'lasso'; erase: boolean; line: Konva.Line };

/**
 * The Konva side of the editor: image, mask and overlay layers that share the view transform, and the
 * pointer handling that turns drags into mask ops. The mask in effect is a preview-resolution canvas
 * redrawn from the ops; the stroke being drawn is a live Konva line (eraser: `destination-out`).
 */
export class EditorStage {
  private stage: Konva.Stage;
  private imageLayer = new Konva.Layer({ listening: false });
  private maskLayer = new Konva.Layer({ listening: false });
  private overlayLayer = new Konva.Layer({ listening: false });
  /** The brush cursor alone: it moves with every pointermove, and redrawing it must not redraw the cells. */
  private cursorLayer = new Konva.Layer({ listening: false });
  /** The photo before its applied results, over them: whole while held, left of the wipe line otherwise. */
  private originalLayer = new Konva.Layer({ listening: false, visible: false });
  private originalNode = new Konva.Image({ image: undefined });
  private wipeLine: Konva.Line = new Konva.Line({ stroke: '#fff', strokeWidth: 2, strokeScaleEnabled: false, shadowColor: '#000', shadowBlur: 3 });
  private imageNode = new Konva.Image({ image: undefined });
  private maskNode = new Konva.Image({ image: undefined });
  private cursor = new Konva.Circle({ stroke: '#fff', strokeWidth: 1, strokeScaleEnabled: false, shadowColor: '#000', shadowBlur: 2, visible: false });
  private cellsNode: Konva.Shape;
  private mask: MaskCanvas | null = null;
  private cells: CellTile[] = [];
  /** The Cells overlay's cells, computed in a worker. */
  private cellsComputer = new CellsComputer();
  private drag: Drag | null = null;
  private full: HTMLCanvasElement | null = null;
  private small: HTMLCanvasElement | null = null;
  private resize: ResizeObserver;
  private cellsTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly container: HTMLDivElement;

  private app: AppState;

  constructor(container: HTMLDivElement, app: AppState) {
    this.app = app;
    this.container = container;
    this.stage = new Konva.Stage({ container, width: container.clientWidth || 1, height: container.clientHeight || 1 });
    this.imageLayer.add(this.imageNode);
    this.maskLayer.add(this.maskNode);
    this.cellsNode = new Konva.Shape({ sceneFunc: (ctx) => this.drawCells(ctx), listening: false });
    this.overlayLayer.add(this.cellsNode);
    this.cursorLayer.add(this.cursor);
    this.originalLayer.add(this.originalNode, this.wipeLine);
    this.stage.add(this.imageLayer, this.originalLayer, this.maskLayer, this.overlayLayer, this.cursorLayer);
    this.stage.on('pointerdown', (e) => this.down(e.evt));
    this.stage.on('pointermove', (e) => this.move(e.evt));
    this.stage.on('pointerup pointercancel', () => this.up());
    this.stage.on('pointerleave', () => this.cursor.visible(false) && this.cursorLayer.batchDraw());
    this.stage.on('wheel', (e) => this.wheel(e.evt));
    this.resize = new ResizeObserver(() => {
      const width = container.clientWidth || 1, height = container.clientHeight || 1;
      this.stage.size({ width, height });
      app.view.viewW = width;
      app.view.viewH = height;
    });
    this.resize.observe(container);
  }

  destroy(): void {
    if (this.cellsTimer) clearTimeout(this.cellsTimer);
    this.cellsComputer.destroy();
    this.resize.disconnect();
    this.stage.destroy();
  }

  setImage(full: HTMLCanvasElement | null, small: HTMLCanvasElement | null): void {
    this.full = full;
    this.small = small;
    if (full && (!this.mask || this.imageNode.width() !== full.width || this.imageNode.height() !== full.height)) {
      this.mask = new MaskCanvas(full.width, full.height);
      this.maskNode.image(this.mask.canvas);
      this.maskNode.size({ width: full.width, height: full.height });
    }
    this.imageNode.size({ width: full?.width ?? 0, height: full?.height ?? 0 });
    this.pickResolution();
  }

  /** Draw the small copy when it has at least as many pixels as the screen shows. */
  private pickResolution(): void {
    const { full, small } = this;
    const z = this.app.view.zoom;
    const useSmall = small && full && small !== full && z * full.width <= small.width;
    this.imageNode.image(useSmall ? small : (full ?? undefined));
    this.imageLayer.batchDraw();
  }

  /**
   * The mask in effect. A stroke or selection just committed is drawn onto the mask by itself (MaskCanvas
   * .update), so committing costs one stroke, not a redraw of all of them; the Cells overlay, which reads
   * the whole mask back, follows after the frame that shows the stroke, computed in a worker (lib/cells.ts).
   */
  setMask(ops: readonly MaskOp[], showCells: boolean): void {
    const mask = this.mask;
    if (!mask) return;
    mask.update(ops);
    this.container.dataset.maskFullRedraws = String(mask.fullRedraws);
    this.container.dataset.maskIncremental = String(mask.incremental);
    this.maskLayer.batchDraw();
    if (this.cellsTimer) clearTimeout(this.cellsTimer);
    this.cellsTimer = null;
    const info = this.app.info;
    if (!showCells || !info) {
      this.cellsComputer.cancel();
      this.cells = [];
      this.overlayLayer.batchDraw();
      return;
    }
    this.cellsTimer = setTimeout(() => {
      this.cellsTimer = null;
      if (this.mask !== mask) return;
      void this.cellsComputer.compute(mask.canvas, mask.scale, { grids: info.grids, downsample: info.downsample, imageSize: info.grid * info.downsample }).then((cells) => {
        if (!cells || this.mask !== mask) return;
        this.cells = cells;
        this.container.dataset.cellsComputedIn = this.cellsComputer.lastWhere ?? '';
        this.overlayLayer.batchDraw();
      });
    }, 50);
  }

  /**
   * The original (`null`: none to show) over the photo: whole when `held` (the mask hidden, to see the
   * photo), else left of `wipe` x the photo's width, with a line there.
   */
  setOriginal(original: HTMLCanvasElement | null, held: boolean, wipe: number): void {
    const shown = original !== null && (held || wipe > 0);
    this.originalLayer.visible(shown);
    this.maskLayer.visible(!(shown && held));
    if (shown) {
      const { width, height } = original;
      this.originalNode.setAttrs({ image: original, width, height });
      const clipW = held ? width : wipe * width;
      this.originalLayer.clip({ x: 0, y: 0, width: clipW, height });
      this.wipeLine.setAttrs({ points: [clipW, 0, clipW, height], visible: !held });
    }
    this.originalLayer.batchDraw();
    this.maskLayer.batchDraw();
  }

  setOverlay(opacity: number): void {
    this.maskLayer.opacity(opacity);
    this.maskLayer.batchDraw();
  }

  setView(zoom: number, x: number, y: number): void {
    for (const l of [this.imageLayer, this.originalLayer, this.maskLayer, this.overlayLayer, this.cursorLayer]) {
      l.position({ x, y });
      l.scale({ x: zoom, y: zoom });
    }
    this.pickResolution();
    this.originalLayer.batchDraw();
    this.maskLayer.batchDraw();
    this.overlayLayer.batchDraw();
    this.cursorLayer.batchDraw();
  }

  /** How often the Cells overlay was drawn with cells in it (the brush cursor's moves do not draw it). */
  private cellsDraws = 0;

  private drawCells(ctx: Konva.Context): void {
    if (this.cells.length) this.container.dataset.cellsDraws = String(++this.cellsDraws);
    ctx.save();
    for (const c of this.cells) {
      const cell = c.side / c.grid;
      ctx.fillStyle = 'rgba(255, 220, 0, 0.22)';
      for (let i = 0; i < c.cells.length; i++) {
        if (c.cells[i]) ctx.fillRect(c.x + (i % c.grid) * cell, c.y + Math.floor(i / c.grid) * cell, cell, cell);
      }
      // Faint cell lines, a clear outline of the crop.
      ctx.lineWidth = 1 / this.app.view.zoom;
      ctx.strokeStyle = 'rgba(255, 220, 0, 0.9)';
      ctx.strokeRect(c.x, c.y, c.side, c.side);
      ctx.strokeStyle = 'rgba(255, 220, 0, 0.3)';
      ctx.beginPath();
      for (let k = 0; k <= c.grid; k++) {
        ctx.moveTo(c.x + k * cell, c.y);
        ctx.lineTo(c.x + k * cell, c.y + c.side);
        ctx.moveTo(c.x, c.y + k * cell);
        ctx.lineTo(c.x + c.side, c.y + k * cell);
      }
      ctx.stroke();
    }
    ctx.restore();
  }

  private point(): { x: number; y: number } | null {
    const p = this.stage.getPointerPosition();
    return p ? this.app.view.toImage(p.x, p.y) : null;
  }

  private down(evt: PointerEvent): void {
    const tools = this.app.tools;
    // A press on the photo gives it the focus (Space pans only there; keys.ts).
    this.container.focus({ preventScroll: true });
    const p = this.point();
    if (!p || !this.full) return;
    if (evt.button === 1 || tools.spaceHeld || tools.tool === 'pan') {
      evt.preventDefault();
      this.drag = { kind: 'pan', lastX: evt.clientX, lastY: evt.clientY };
      return;
    }
    if (evt.button !== 0) return;
    const erase = tools.tool === 'eraser' || evt.altKey;
    const common = { fill: MASK_COLOR, stroke: MASK_COLOR, globalCompositeOperation: erase ? 'destination-out' : 'source-over' } as const;
    if (tools.tool === 'rect') {
      const rect = new Konva.Rect({ ...common, x: p.x, y: p.y, width: 0, height: 0, strokeEnabled: false });
      this.maskLayer.add(rect);
      this.drag = { kind: 'rect', erase, x0: p.x, y0: p.y, rect };
    } else if (tools.tool === 'lasso') {
      const line = new Konva.Line({ ...common, points: [p.x, p.y], closed: true, strokeEnabled: false });
      this.maskLayer.add(line);
      this.drag = { kind: 'lasso', erase, line };
    } else {
      const line = new Konva.Line({ ...common, points: [p.x, p.y, p.x + 0.01, p.y], strokeWidth: tools.diameter(this.app.view.zoom), lineCap: 'round', lineJoin: 'round' });
      this.maskLayer.add(line);
      this.drag = { kind: 'stroke', erase, line };
    }
    this.maskLayer.batchDraw();
  }

  private move(evt: PointerEvent): void {
    const p = this.point();
    if (p) {
      const brush = this.app.tools.tool === 'brush' || this.app.tools.tool === 'eraser';
      this.cursor.setAttrs({ x: p.x, y: p.y, radius: this.app.tools.diameter(this.app.view.zoom) / 2, visible: brush && !this.app.tools.spaceHeld });
      this.cursorLayer.batchDraw();
    }
    const d = this.drag;
    if (!d || !p) return;
    if (d.kind === 'pan') {
      this.app.view.panBy(evt.clientX - d.lastX, evt.clientY - d.lastY);
      d.lastX = evt.clientX;
      d.lastY = evt.clientY;
      return;
    }
    if (d.kind === 'rect') d.rect.setAttrs({ x: Math.min(d.x0, p.x), y: Math.min(d.y0, p.y), width: Math.abs(p.x - d.x0), height: Math.abs(p.y - d.y0) });
    else d.line.points(d.line.points().concat([p.x, p.y]));
    this.maskLayer.batchDraw();
  }

  private up(): void {
    const d = this.drag;
    this.drag = null;
    if (!d || d.kind === 'pan') return;
    const r = (v: number) => Math.round(v * 100) / 100;
    let op: MaskOp | null = null;
    if (d.kind === 'rect') {
      const a = d.rect.attrs as { x: number; y: number; width: number; height: number };
      if (a.width >= 1 && a.height >= 1) op = { kind: 'rect', erase: d.erase, x: r(a.x), y: r(a.y), w: r(a.width), h: r(a.height) };
      d.rect.destroy();
    } else {
      const pts = d.line.points().map(r);
      if (d.kind === 'lasso') op = pts.length >= 6 ? { kind: 'lasso', erase: d.erase, points: pts } : null;
      else op = { kind: 'stroke', erase: d.erase, size: r(d.line.strokeWidth()), hardness: this.app.tools.hardness, points: pts };
      d.line.destroy();
    }
    if (op) this.app.addMaskOp(op);
    this.maskLayer.batchDraw();
  }

  private wheel(evt: WheelEvent): void {
    evt.preventDefault();
    const p = this.stage.getPointerPosition();
    if (!p) return;
    // Trackpads send small deltas; scale the step by the delta, capped per event.
    const step = Math.min(0.5, Math.abs(evt.deltaY) / 400);
    this.app.view.zoomAt(evt.deltaY < 0 ? 1 + step : 1 / (1 + step), p.x, p.y);
  }
}
