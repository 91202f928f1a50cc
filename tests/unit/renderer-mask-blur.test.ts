/**
 * The preview's soft strokes (lib/maskRender.ts softStroke): a wide soft edge is blurred at a fraction of
 * the preview's resolution and drawn up, the engine's mask always at full resolution. Drawn on recording
 * stand-ins for the canvas (node has none): what size of canvas was blurred, with what filter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawOp } from '../../renderer/lib/maskRender';
import type { MaskOp } from '../../renderer/lib/maskOps';

/** A 2D context that records what is asked of it. */
function recorder(canvas: { width: number; height: number }) {
  const calls: { op: string; args: unknown[]; filter?: string }[] = [];
  const state = { filter: 'none' };
  const ctx = new Proxy(
    { canvas, calls, getTransform: () => ({ e: 0, f: 0 }) } as Record<string, unknown>,
    {
      get(target, key: string) {
        if (key in target) return target[key];
        if (key === 'filter') return state.filter;
        return (...args: unknown[]) => calls.push({ op: key, args, filter: state.filter });
      },
      set(target, key: string, v) {
        if (key === 'filter') state.filter = v as string;
        else target[key] = v;
        return true;
      },
    },
  );
  return { ctx, calls };
}

/** The scratch canvas drawn on last (kept ones are reused between strokes). */
let lastScratch: ReturnType<typeof recorder>['calls'] = [];
const saved = (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas;
beforeAll(() => {
  (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas = class {
    width: number;
    height: number;
    private r: ReturnType<typeof recorder>;
    constructor(w: number, h: number) {
      this.width = w;
      this.height = h;
      this.r = recorder(this);
    }
    getContext() {
      lastScratch = this.r.calls;
      return this.r.ctx;
    }
  };
});
afterAll(() => ((globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas = saved));

/** The blur of the stroke drawn on a scratch canvas, and the part of it (source rectangle) drawn onto the target. */
function draw(op: MaskOp, s: number, preview: boolean, size: [number, number]) {
  const target = recorder({ width: size[0], height: size[1] });
  drawOp(target.ctx as unknown as CanvasRenderingContext2D, op, s, size[0], size[1], preview);
  const stroke = lastScratch.filter((c) => c.op === 'stroke').at(-1)!;
  const put = target.calls.find((c) => c.op === 'drawImage')!.args as number[];
  return { blur: stroke.filter, source: [put[3], put[4]], dest: [put[7], put[8]] };
}

describe('soft strokes on the preview', () => {
  // The largest brush on a 6000x4000 photo (1000 px, hardness 0.3) down most of its height; the preview
  // is 3072 px wide (scale 0.512).
  const stroke: MaskOp = { kind: 'stroke', erase: false, size: 1000, hardness: 0.3, points: [1000, 400, 1300, 2000, 1000, 3600] };

  it('blurs a wide soft edge at 1/8 of the preview resolution and draws it up over the same area', () => {
    const exact = draw(stroke, 0.512, false, [3072, 2048]);
    const quick = draw(stroke, 0.512, true, [3072, 2048]);
    // feather 0.35 x 1000 x 0.512 = 179 px, sigma 89.6
    expect(exact.blur).toBe('blur(89.60px)');
    expect(quick.blur).toBe('blur(11.20px)');
    const area = (r: number[]) => r[0]! * r[1]!;
    expect(area(quick.source)).toBeLessThan(area(exact.source) / 60);
    // the same part of the mask is covered (to the scale's rounding)
    expect(quick.dest[0]).toBeGreaterThanOrEqual(exact.dest[0]!);
    expect(quick.dest[0]! - exact.dest[0]!).toBeLessThan(8);
    expect(quick.dest[1]! - exact.dest[1]!).toBeLessThan(8);
  });

  it('blurs a narrow soft edge, and the engine mask always, at full resolution', () => {
    const narrow: MaskOp = { ...stroke, size: 20, hardness: 0.8 }; // sigma 1
    expect(draw(narrow, 0.512, true, [3072, 2048]).blur).toBe(draw(narrow, 0.512, false, [3072, 2048]).blur);
    const engine = draw(stroke, 1, false, [6000, 4000]);
    expect(engine.blur).toBe('blur(175.00px)');
    expect(engine.source).toEqual(engine.dest);
  });
});
