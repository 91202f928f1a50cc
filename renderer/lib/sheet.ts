import type { MethodResult, RgbaImage } from '../../electron/shared/contract';
import { cssFont, inputLabels, resultLabel, SHEET, sheetLayout } from '../../electron/shared/sheet';
import { composite, ctx2d, newCanvas, rgbaToCanvas } from './images';

export { describeSettings, describeStages, METHOD_LABEL } from '../../electron/shared/sheet';

/**
 * A labelled comparison sheet: original, mask, then each method's chosen sample, with times. Its layout
 * and labels are electron/shared/sheet.ts's, the same as `vqddm batch --sheets` draws.
 */
export function comparisonSheet(
  original: RgbaImage,
  mask: RgbaImage,
  results: { result: MethodResult; sample: number }[],
  tile: number = SHEET.tile,
): HTMLCanvasElement {
  const tiles = [
    ...inputLabels(original.width, original.height).map((label, i) => ({ label, img: i === 0 ? original : mask })),
    ...results.map(({ result, sample }) => ({
      label: resultLabel({ ...result, totalMs: result.timings.total }),
      img: composite(original, result.samples[sample]?.patches ?? []),
    })),
  ];
  const layout = sheetLayout(original.width, original.height, tiles.length, tile);
  const c = newCanvas(layout.width, layout.height);
  const ctx = ctx2d(c);
  ctx.fillStyle = SHEET.background;
  ctx.fillRect(0, 0, c.width, c.height);
  tiles.forEach((t, i) => {
    const x = layout.left(i);
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(rgbaToCanvas(t.img), x, layout.top, layout.tileWidth, layout.tileHeight);
    ctx.fillStyle = SHEET.title.colour;
    ctx.font = cssFont(SHEET.title);
    ctx.fillText(t.label.title, x, layout.labelTop + SHEET.title.baseline);
    ctx.font = cssFont(SHEET.sub);
    ctx.fillStyle = SHEET.sub.colour;
    ctx.fillText(t.label.sub, x, layout.labelTop + SHEET.sub.baseline, layout.tileWidth);
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
