/**
 * The editor's Save of an opened photo, which the page cannot write back as it was: a canvas writes no
 * EXIF, a 16-bit file (PNG, TIFF) is 8 bits in the page, one tagged with an RGB ICC profile (Display P3,
 * Adobe RGB) is sRGB there. The opened file is decoded again here in its own colour space and at its own depth, the pixels
 * the person changed are taken from the page's copy (a region of it: where edits were applied), and the
 * result is written with the file's profile and EXIF (engine/io/imageOutput.ts). Every pixel the person did
 * not change keeps the value the file stores, bit for bit.
 *
 * Which pixels changed: the page says so where it decoded the file itself (`changed`: it compares its
 * pixels with its own decode of the file, so the answer does not depend on two colour engines agreeing;
 * Chromium's and lcms' sRGB conversions of a tagged file differ by a level here and there). Otherwise the
 * page's pixels came from this engine's decoder (`decodeImage`, converted to sRGB, rounded to 8 bits),
 * which is decoded again here and compared exactly.
 *
 * Colours of the changed pixels: the page fills in what the browser shows, sRGB, so a changed pixel is an
 * sRGB colour, converted into the file's colour space with its own profile (lcms, 16-bit precision for a
 * 16-bit file) rather than written as stored numbers: written as they are, sRGB numbers in a Display-P3
 * file would show over-saturated, and the fill would not match the photo around it. sRGB fits inside
 * Display P3 and Adobe RGB, so the conversion loses nothing but rounding. The alternative, converting the
 * whole photo to sRGB and dropping the profile (what Save did before), changed most stored values of a
 * wide-gamut photo and clipped its colours outside sRGB.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ApiError, type EditedRegion, type ImageFormat, type RgbaImage } from '../../shared/contract.js';
import { decodeImage } from '../image/codec.js';
import type { Pixels } from '../image/pixels.js';
import { encodeResult, readSourceMeta } from './imageOutput.js';

/** 8-bit sRGB RGBA converted into `icc`'s colour space at 8 or 16 bits (sharp reads profiles from files only). */
async function fromSrgb(image: RgbaImage, icc: Buffer, deep: boolean): Promise<Uint8Array | Uint16Array> {
  const dir = await mkdtemp(join(tmpdir(), 'vqddm-icc-'));
  try {
    const path = join(dir, 'profile.icc');
    await writeFile(path, icc);
    const img = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } });
    const { data } = await (deep ? img.toColourspace('rgb16') : img)
      .withIccProfile(path)
      .raw({ depth: deep ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return deep ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data.buffer, data.byteOffset, data.length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Per pixel of the region: does the page's value differ from what this engine's decoder gave the page? */
function changedAgainst(seen: Pixels, edit: EditedRegion): Uint8Array {
  const { x, y, image } = edit;
  const deep = seen.data instanceof Uint16Array;
  const to8 = (v: number) => (deep ? Math.round(v / 257) : v);
  const d = seen.data;
  const e = image.data;
  const out = new Uint8Array(image.width * image.height);
  for (let r = 0; r < image.height; r++) {
    for (let c = 0; c < image.width; c++) {
      const i = ((y + r) * seen.width + x + c) * 4;
      const j = (r * image.width + c) * 4;
      out[r * image.width + c] = to8(d[i]!) === e[j] && to8(d[i + 1]!) === e[j + 1] && to8(d[i + 2]!) === e[j + 2] && to8(d[i + 3]!) === e[j + 3] ? 0 : 1;
    }
  }
  return out;
}

export async function encodeEdited(source: Uint8Array, edit: EditedRegion | null, format: ImageFormat, quality: number): Promise<Uint8Array> {
  const [meta, decoded] = await Promise.all([readSourceMeta(source), decodeImage(source, 'the opened file', undefined, { ownColourSpace: true })]);
  const { pixels } = decoded;
  if (edit) {
    const { x, y, image } = edit;
    if (x + image.width > pixels.width || y + image.height > pixels.height) {
      throw new ApiError('BAD_IMAGE', `the edited region (${x}, ${y}) ${image.width}x${image.height} does not fit the ${pixels.width}x${pixels.height} photo`);
    }
    if (edit.changed && edit.changed.length !== image.width * image.height) {
      throw new ApiError('BAD_IMAGE', `the edited region's changed flags hold ${edit.changed.length} pixels, not ${image.width}x${image.height}`);
    }
    // Without a profile the file's values are the ones the page was given (no conversion to undo).
    const changed = edit.changed ?? changedAgainst(meta.icc ? (await decodeImage(source, 'the opened file')).pixels : pixels, edit);
    const deep = pixels.data instanceof Uint16Array;
    const values = meta.icc ? await fromSrgb(image, meta.icc, deep) : deep ? Uint16Array.from(image.data, (v) => v * 257) : image.data;
    const d = pixels.data;
    for (let r = 0; r < image.height; r++) {
      for (let c = 0; c < image.width; c++) {
        if (!changed[r * image.width + c]) continue;
        const i = ((y + r) * pixels.width + x + c) * 4;
        const j = (r * image.width + c) * 4;
        for (let k = 0; k < 4; k++) d[i + k] = values[j + k]!;
      }
    }
  }
  const trace = JSON.stringify({ software: 'VQ-DDM Studio', saved: 'editor' });
  return new Uint8Array(await encodeResult(pixels, { format, quality, keepAlpha: decoded.hasAlpha, source: meta, trace }));
}
