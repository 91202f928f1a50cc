/**
 * The comparison sheet drawn engine-side with sharp (`vqddm batch --sheets`): the page's sheet
 * (renderer/lib/sheet.ts), tile for tile and label for label, from the one layout in shared/sheet.ts.
 * Tiles are composited over the white background (translucent pixels over white, as the canvas draws them);
 * labels are SVG text (librsvg and the system's fonts through fontconfig, both in sharp's libvips), placed
 * on the same baselines as the canvas's `fillText`, and a grey line longer than its tile is squeezed to the
 * tile's width as the canvas's `maxWidth` does.
 */
import sharp, { type OverlayOptions, type Sharp } from 'sharp';
import type { MaskImage } from '../../shared/contract.js';
import { SHEET, sheetLayout, type SheetLabel, type TextStyle } from '../../shared/sheet.js';
import type { Pixels } from '../image/pixels.js';

export interface SheetTile {
  label: SheetLabel;
  /** The tile's picture at any size (the photo's): scaled to the tile here. */
  image: Sharp;
}

/** A tile of pixels in memory (8 or 16 bits, RGBA). */
export const pixelsTile = (p: Pixels): Sharp => sharp(p.data, { raw: { width: p.width, height: p.height, channels: 4 }, limitInputPixels: false });

/** The mask as the page shows it: grey levels, white = filled. */
export const maskTile = (m: MaskImage): Sharp => sharp(m.data, { raw: { width: m.width, height: m.height, channels: 1 }, limitInputPixels: false });

const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function textElement(text: string, x: number, style: TextStyle): string {
  const weight = style.bold ? ' font-weight="bold"' : '';
  return `<text x="${x}" y="${style.baseline}" font-family="${style.family}" font-size="${style.size}"${weight} fill="${style.colour}">${escapeXml(text)}</text>`;
}

const svg = (width: number, body: string) => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${SHEET.label}">${body}</svg>`);

/**
 * One grey line as an RGBA image as wide as its ink, at most `maxWidth` (squeezed when wider). Drawn on
 * a band wider than any line of its length can be, then cut where the ink ends.
 */
async function subLine(text: string, maxWidth: number): Promise<OverlayOptions> {
  const band = Math.ceil((text.length + 2) * SHEET.sub.size);
  const { data, info } = await sharp(svg(band, textElement(text, 0, SHEET.sub))).raw().toBuffer({ resolveWithObject: true });
  let right = info.width - 1;
  const inked = (x: number) => {
    for (let y = 0; y < info.height; y++) if (data[(y * info.width + x) * 4 + 3] > 0) return true;
    return false;
  };
  while (right > 0 && !inked(right)) right--;
  let line = sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).extract({ left: 0, top: 0, width: right + 1, height: info.height });
  if (right + 1 > maxWidth) line = sharp(await line.png().toBuffer()).resize(maxWidth, info.height, { fit: 'fill', kernel: 'lanczos3' });
  return { input: await line.png().toBuffer() };
}

/** The sheet for a photo of `width` x `height`: every tile in order, as opaque 8-bit RGBA. */
export async function renderSheet(width: number, height: number, tiles: SheetTile[], tile: number = SHEET.tile): Promise<Pixels> {
  const layout = sheetLayout(width, height, tiles.length, tile);
  const overlays: OverlayOptions[] = [];
  for (const [i, t] of tiles.entries()) {
    const { data, info } = await t.image
      .resize(layout.tileWidth, layout.tileHeight, { fit: 'fill', kernel: 'lanczos3' })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    overlays.push({ input: data, raw: { width: info.width, height: info.height, channels: 4 }, left: layout.left(i), top: layout.top });
    if (t.label.sub) overlays.push({ ...(await subLine(t.label.sub, layout.tileWidth)), left: layout.left(i), top: layout.labelTop });
  }
  // The titles, like the canvas's, are not cut at their tile's edge.
  const titles = tiles.map((t, i) => textElement(t.label.title, layout.left(i), SHEET.title)).join('');
  overlays.push({ input: svg(layout.width, titles), left: 0, top: layout.labelTop });
  const { data, info } = await sharp({ create: { width: layout.width, height: layout.height, channels: 4, background: SHEET.background } })
    .composite(overlays)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
