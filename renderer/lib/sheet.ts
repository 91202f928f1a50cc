import type { FillStage, MethodResult, RgbaImage } from '../../electron/shared/contract';
import { composite, ctx2d, newCanvas, rgbaToCanvas } from './images';

export const METHOD_LABEL: Record<string, string> = { vqddm: 'VQ-DDM', transformer: 'Transformer' };

const STAGE_LABEL: Record<FillStage, string> = { coarse: 'coarse fill', 'guided-decoder': 'sharp decoder', 'detail-pass': 'detail pass', 'colour-anchor': 'colour anchoring', 'photo-texture': 'photo texture' };

/** Which refinement stages made this result, e.g. "coarse fill + sharp decoder + photo texture". */
export function describeStages(r: MethodResult): string {
  return r.stages.length === 1 ? 'coarse fill only (refinement off)' : r.stages.map((s) => STAGE_LABEL[s]).join(' + ');
}

export function describeSettings(r: MethodResult): string {
  const s = r.settings;
  const extra = r.method === 'vqddm' ? `steps ${s.steps}, truncation ${s.truncation}` : `top-k ${s.topK}`;
  return `${extra}, T ${s.temperature}, seed ${s.seed}`;
}

/**
 * A labelled comparison sheet: original, mask, then each method's chosen sample, with times.
 * Tiles are scaled so the long side is at most `tile` pixels.
 */
export function comparisonSheet(
  original: RgbaImage,
  mask: RgbaImage,
  results: { result: MethodResult; sample: number }[],
  tile = 512,
): HTMLCanvasElement {
  const s = Math.min(1, tile / Math.max(original.width, original.height));
  const tw = Math.round(original.width * s), th = Math.round(original.height * s);
  const pad = 16, label = 44;
  const tiles: { title: string; sub: string; img: RgbaImage }[] = [
    { title: 'Original', sub: `${original.width}×${original.height}`, img: original },
    { title: 'Mask', sub: '', img: mask },
    ...results.map(({ result, sample }) => ({
      title: METHOD_LABEL[result.method] ?? result.method,
      sub: `${(result.timings.total / 1000).toFixed(2)} s · ${describeSettings(result)} · ${describeStages(result)}`,
      img: composite(original, result.samples[sample]?.patches ?? []),
    })),
  ];
  const c = newCanvas(pad + tiles.length * (tw + pad), pad + th + label + pad);
  const ctx = ctx2d(c);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, c.width, c.height);
  tiles.forEach((t, i) => {
    const x = pad + i * (tw + pad);
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(rgbaToCanvas(t.img), x, pad, tw, th);
    ctx.fillStyle = '#111';
    ctx.font = 'bold 16px sans-serif';
    ctx.fillText(t.title, x, pad + th + 20);
    ctx.font = '12px sans-serif';
    ctx.fillStyle = '#444';
    ctx.fillText(t.sub, x, pad + th + 38, tw);
  });
  return c;
}

/** A one-byte mask as an opaque greyscale RGBA image (white = filled). */
export function maskToRgba(mask: { width: number; height: number; data: Uint8Array }): RgbaImage {
  const out = new Uint8Array(mask.width * mask.height * 4);
  for (let i = 0; i < mask.data.length; i++) {
    const v = mask.data[i]!;
    out[i * 4] = v;
    out[i * 4 + 1] = v;
    out[i * 4 + 2] = v;
    out[i * 4 + 3] = 255;
  }
  return { width: mask.width, height: mask.height, data: out };
}
