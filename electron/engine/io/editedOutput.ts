/**
 * The editor's Save of a photo the page cannot hold at full depth (a 16-bit PNG: the page's pixels are 8
 * bits): the opened file is decoded again here at its own depth, the pixels the person changed are taken
 * from the page's copy (a region of it: where edits were applied), and the result is written with the
 * file's metadata (engine/io/imageOutput.ts). A pixel of the region whose 8-bit value is still the file's
 * (its 16-bit value rounded) keeps the file's 16-bit value, so every unmasked pixel stays identical;
 * a changed one becomes its 8-bit value scaled to 16 bits (v * 257).
 *
 * Colours: the file is decoded as the page decodes it (converted to sRGB when it carries a profile), so
 * the page's values and the file's line up; a profile is then not carried (the values are sRGB).
 */
import { ApiError, type ImageFormat, type RgbaImage } from '../../shared/contract.js';
import { decodeImage } from '../image/codec.js';
import { encodeResult, readSourceMeta } from './imageOutput.js';

/** Where the page's pixels may differ from the file: a region of the photo, in photo coordinates. */
export interface EditedRegion {
  x: number;
  y: number;
  image: RgbaImage;
}

export async function encodeEdited(source: Uint8Array, edit: EditedRegion | null, format: ImageFormat, quality: number): Promise<Uint8Array> {
  const [meta, decoded] = await Promise.all([readSourceMeta(source), decodeImage(source, 'the opened file')]);
  const { pixels } = decoded;
  if (edit) {
    const { x, y, image } = edit;
    if (x + image.width > pixels.width || y + image.height > pixels.height) {
      throw new ApiError('BAD_IMAGE', `the edited region (${x}, ${y}) ${image.width}x${image.height} does not fit the ${pixels.width}x${pixels.height} photo`);
    }
    const deep = pixels.data instanceof Uint16Array;
    const to8 = (v: number) => (deep ? Math.round(v / 257) : v);
    const from8 = (v: number) => (deep ? v * 257 : v);
    const d = pixels.data;
    const e = image.data;
    for (let r = 0; r < image.height; r++) {
      for (let c = 0; c < image.width; c++) {
        const i = ((y + r) * pixels.width + x + c) * 4;
        const j = (r * image.width + c) * 4;
        if (to8(d[i]!) === e[j] && to8(d[i + 1]!) === e[j + 1] && to8(d[i + 2]!) === e[j + 2] && to8(d[i + 3]!) === e[j + 3]) continue;
        for (let k = 0; k < 4; k++) d[i + k] = from8(e[j + k]!);
      }
    }
  }
  const trace = JSON.stringify({ software: 'VQ-DDM Studio', saved: 'editor' });
  return new Uint8Array(await encodeResult(pixels, { format, quality, keepAlpha: decoded.hasAlpha, source: { ...meta, icc: null }, trace }));
}
